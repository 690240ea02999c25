// The activation quantizer: f32 rows of k → records of 32 int8 values with their scale and
// sums (activation-layout.ts), rounded as llama.cpp's x86 quantize_row_q8_0 rounds them:
// amax = max|x|, id = 127/amax (0 when amax = 0), q = round-to-nearest-even(x·id) in f32,
// d = f16(amax/127) (the scale the dot products use is the f16-rounded one, as in block_q8_0).
// Thread shares are whole records, so one row of k is split over threads too.
import type { FunctionBuilder, Local, ModuleBuilder } from '../../encoder/index.ts';
import { emitShare, THREAD_PARAMS } from '../thread-share.ts';
import {
  ACT_D,
  ACT_I16_BYTES,
  ACT_RECORD_BYTES,
  ACT_SUM,
  ACT_SUM16,
  actI16Offset,
  actRowBytes,
} from './activation-layout.ts';

/** What the activation quantizer is specialised on. */
export interface QuantizeActivationsSpec {
  /** Values per row (any k ≥ 1; a partial last record reads as zeros past k). */
  readonly k: number;
  /** Export name (default `quantize_act_k{k}`). */
  readonly name?: string;
}

/** A generated kernel: its export name and argument names (before thread, threads). */
export interface KernelExport {
  /** Export name. */
  readonly name: string;
  /** Its i32 arguments, in order, before (thread, threads). */
  readonly args: readonly string[];
}

/** Byte lanes of an i8x16.shuffle picking i32 lanes `l` (0…7 over the two operands). */
export function i32Lanes(...l: number[]): number[] {
  return l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);
}

/**
 * Emits `(x, xq, m, ldx, thread, threads)`: quantizes rows j < m of x (f32, row j at
 * x + 4·j·ldx) into xq (activation-layout.ts, rows of ⌈k/32⌉ records, contiguous).
 */
export function emitQuantizeActivations(mod: ModuleBuilder, spec: QuantizeActivationsSpec): KernelExport {
  const { k } = spec;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`quantize activations: bad k ${k}`);
  const kb = Math.ceil(k / 32);
  const tail = k % 32; // values in a partial last record (0: none)
  const name = spec.name ?? `quantize_act_k${k}`;
  const args = ['x', 'xq', 'm', 'ldx'] as const;
  mod.func(name, [...args.map((a) => [a, 'i32'] as [string, 'i32']), ...THREAD_PARAMS], [], (b) => {
    const [x, xq, m, ldx, thread, threads] = b.params as [Local, Local, Local, Local, Local, Local];
    const units = b.local('i32', 'units');
    const i = b.local('i32', 'i');
    const end = b.local('i32', 'end');
    const row = b.local('i32', 'row');
    const blk = b.local('i32', 'blk');
    const src = b.local('i32', 'src');
    const dst = b.local('i32', 'dst');
    const dst16 = b.local('i32', 'dst16');
    const amax = b.local('f32', 'amax');
    const d = b.local('f32', 'd');
    const vid = b.local('v128', 'vid');
    const xs = Array.from({ length: 8 }, (_, v) => b.local('v128', `x${v}`));
    const qs = Array.from({ length: 8 }, (_, v) => b.local('v128', `q${v}`));
    const sums = b.local('v128', 'sums');
    const lo = b.local('i32', 'slo');
    const hi = b.local('i32', 'shi');

    b.get(m).i32(kb).op('i32.mul').set(units);
    emitShare(b, units, thread, threads, i, end);
    b.block((exit) => {
      b.loop((again) => {
        b.get(i).get(end).op('i32.ge_s').brIf(exit);
        // row = i / kb, blk = i − row·kb; src = x + 4·(row·ldx + 32·blk); dst = xq + 48·i
        b.get(i).i32(kb).op('i32.div_u').set(row);
        b.get(i).get(row).i32(kb).op('i32.mul').op('i32.sub').set(blk);
        b.get(x).get(row).get(ldx).op('i32.mul').get(blk).i32(32).op('i32.mul').op('i32.add');
        b.i32(2).op('i32.shl').op('i32.add').set(src);
        // dst = xq + row·rowBytes + 48·blk; its i16 copy at dst + i16Offset + 16·blk
        b.get(xq).get(row).i32(actRowBytes(k)).op('i32.mul').op('i32.add');
        b.get(blk).i32(ACT_RECORD_BYTES).op('i32.mul').op('i32.add').set(dst);
        b.get(dst)
          .get(blk)
          .i32(ACT_I16_BYTES - ACT_RECORD_BYTES)
          .op('i32.mul')
          .op('i32.add')
          .set(dst16);
        if (tail === 0) loadFull(b, src, xs);
        else {
          b.get(blk)
            .i32(kb - 1)
            .op('i32.eq');
          b.if(
            () => loadPartial(b, src, xs, tail),
            () => loadFull(b, src, xs),
          );
        }
        emitRecord(b, { xs, qs, vid, amax, d, sums, lo, hi, dst, dst16, i16At: actI16Offset(k) });
        b.get(i).i32(1).op('i32.add').set(i).br(again);
      });
    });
  });
  return { name, args };
}

function loadFull(b: FunctionBuilder, src: Local, xs: Local[]): void {
  xs.forEach(
    (v, n) =>
      void b
        .get(src)
        .op('v128.load', 16 * n, 2)
        .set(v),
  );
}

/** Loads `count` (< 32) values, zeros after them. */
function loadPartial(b: FunctionBuilder, src: Local, xs: Local[], count: number): void {
  xs.forEach((v, n) => {
    b.v128({ i32: [0, 0, 0, 0] });
    for (let lane = 0; lane < 4; lane++) {
      if (4 * n + lane >= count) break;
      b.get(src)
        .op('f32.load', 4 * (4 * n + lane), 2)
        .op('f32x4.replace_lane', lane);
    }
    b.set(v);
  });
}

interface RecordLocals {
  xs: Local[];
  qs: Local[];
  vid: Local;
  amax: Local;
  d: Local;
  sums: Local;
  lo: Local;
  hi: Local;
  dst: Local;
  dst16: Local;
  i16At: number;
}

/** Rounds the 32 values in xs and writes the record at dst. */
function emitRecord(b: FunctionBuilder, l: RecordLocals): void {
  const { xs, qs, vid, amax, d, sums, lo, hi, dst, dst16, i16At } = l;
  // amax: lane-wise max of |x| over the 8 vectors, then across lanes.
  b.get(xs[0] as Local).op('f32x4.abs');
  for (let v = 1; v < 8; v++)
    b.get(xs[v] as Local)
      .op('f32x4.abs')
      .op('f32x4.max');
  b.set(vid);
  b.get(vid)
    .get(vid)
    .op('i8x16.shuffle', ...i32Lanes(2, 3, 0, 1))
    .get(vid)
    .op('f32x4.max')
    .set(vid);
  b.get(vid)
    .get(vid)
    .op('i8x16.shuffle', ...i32Lanes(1, 0, 3, 2))
    .get(vid)
    .op('f32x4.max');
  b.op('f32x4.extract_lane', 0).set(amax);
  // id = amax > 0 ? 127 / amax : 0
  b.f32(127).get(amax).op('f32.div').f32(0).get(amax).f32(0).op('f32.gt').select().op('f32x4.splat').set(vid);
  // d = f16(amax / 127), round to nearest even: subnormal f16 range (< 2^-14) by scaling to the
  // 2^-24 quantum; normal range by rounding the f32 mantissa to 10 bits.
  b.get(amax).f32(127).op('f32.div').set(d);
  b.get(d)
    .f32(2 ** -14)
    .op('f32.lt');
  b.if(
    () =>
      void b
        .get(d)
        .f32(2 ** 24)
        .op('f32.mul')
        .op('f32.nearest')
        .f32(2 ** -24)
        .op('f32.mul')
        .set(d),
    () => {
      b.get(d).op('i32.reinterpret_f32').set(lo);
      b.get(lo).i32(0xfff).op('i32.add').get(lo).i32(13).op('i32.shr_u').i32(1).op('i32.and').op('i32.add');
      b.i32(-0x2000).op('i32.and').op('f32.reinterpret_i32').set(d);
    },
  );
  for (let v = 0; v < 8; v++) {
    b.get(xs[v] as Local)
      .get(vid)
      .op('f32x4.mul')
      .op('f32x4.nearest')
      .op('i32x4.trunc_sat_f32x4_s');
    b.set(qs[v] as Local);
  }
  const q = (v: number) => b.get(qs[v] as Local);
  const sum4 = (v: number) => {
    q(v);
    for (let w = v + 1; w < v + 4; w++) q(w).op('i32x4.add');
  };
  // sums: lanes (Σ first 16 in lanes 0,1 | Σ last 16 in lanes 2,3) folded to lanes 0 and 2.
  sum4(0);
  b.set(sums);
  sum4(4);
  b.set(vid);
  b.get(sums)
    .get(vid)
    .op('i8x16.shuffle', ...i32Lanes(0, 1, 4, 5));
  b.get(sums)
    .get(vid)
    .op('i8x16.shuffle', ...i32Lanes(2, 3, 6, 7))
    .op('i32x4.add')
    .set(sums);
  b.get(sums).op('i32x4.extract_lane', 0).get(sums).op('i32x4.extract_lane', 1).op('i32.add').set(lo);
  b.get(sums).op('i32x4.extract_lane', 2).get(sums).op('i32x4.extract_lane', 3).op('i32.add').set(hi);
  // i16 values (stored for the plain dots), then int8: narrow i32 → i16 → i8 (|q| ≤ 127 already).
  for (let v = 0; v < 4; v++) {
    q(2 * v);
    q(2 * v + 1)
      .op('i16x8.narrow_i32x4_s')
      .set(qs[2 * v] as Local);
    b.get(dst16)
      .get(qs[2 * v] as Local)
      .op('v128.store', i16At + 16 * v);
  }
  for (const half of [0, 1]) {
    b.get(dst);
    q(4 * half);
    q(4 * half + 2)
      .op('i8x16.narrow_i16x8_s')
      .op('v128.store', 16 * half);
  }
  b.get(dst).get(d).op('f32.store', ACT_D);
  b.get(dst)
    .get(d)
    .get(lo)
    .get(hi)
    .op('i32.add')
    .op('f32.convert_i32_s')
    .op('f32.mul')
    .op('f32.store', ACT_SUM);
  b.get(dst).get(d).get(lo).op('f32.convert_i32_s').op('f32.mul').op('f32.store', ACT_SUM16);
  b.get(dst)
    .get(d)
    .get(hi)
    .op('f32.convert_i32_s')
    .op('f32.mul')
    .op('f32.store', ACT_SUM16 + 4);
}
