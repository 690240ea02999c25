// The integer matmuls' inner loop, batched form: per record of 32 columns, a short loop of 4
// steps, each step the weights' chunks p and p + 4 of every tile of the pass (u4: one v128,
// unpacked once with and / i16x8.shr_u + and; u8, s8: two v128) dotted against every activation
// row of the pass, then f32 scaling once per record and (tile, activation row).
//
// Why a loop inside the record: V8's optimizing tier schedules a basic block's loads (the
// activation splats are loads) ahead of the arithmetic, so a fully unrolled record of 8 chunks
// × 4 activation rows keeps ~32 splats live and spills most of them (xmm0–15 on x64). A step
// is its own basic block: at most 2·actTile splats are live and nothing spills. (q4_0 512×1376,
// relaxed, one thread: m = 4 67 → 86 GFLOP/s.)
//
// Activation rows of a pass are consecutive, actRowBytes(k) apart, so one pointer serves them
// all (constant offsets). Dots:
//   relaxed (u4, u8): i16x8.relaxed_dot_i8x16_i7x16_s(x int8, w 0…127) summed in i16 (u4: the
//     whole record; u8: per step) then widened with i32x4.extadd_pairwise_i16x8_s;
//   plain: weights widened to i16 once per step for all rows, activations' i16 copy splatted
//     (v128.load64_splat), i32x4.dot_i16x8_s into (r0,r0,r1,r1) and (r2,r2,r3,r3), folded per
//     record by two shuffles and an add.
import type { Local } from '../../encoder/index.ts';
import { recordBytes, recordDataBytes } from '../../weights/index.ts';
import {
  ACT_D,
  ACT_I16_BYTES,
  ACT_RECORD_BYTES,
  ACT_SUM,
  ACT_SUM16,
  actI16Offset,
  actRowBytes,
} from './activation-layout.ts';
import type { PassContext } from './emit-matmul.ts';
import { i32Lanes } from './quantize-activations.ts';

/** Emits the loop over k/32 records for the pass in `ctx`, adding into its accumulators. */
export function emitBatchedIntInner(ctx: PassContext): void {
  const { b, spec, format: f, tileBytes: tb, wp, xp, acc, scratch } = ctx;
  const rt = acc.length;
  const at = xp.length;
  const xRow = actRowBytes(spec.k);
  const data = recordDataBytes(f);
  const rec = recordBytes(f);
  const groups = f.group === 16 ? 2 : 1; // scale groups per record: chunks 0–3, 4–7
  const relaxed = spec.relaxed;
  const signed = f.kind === 's8';
  const u4 = f.kind === 'u4';
  const x0 = xp[0] as Local;
  const count = scratch('i32', 'records');
  const steps = scratch('i32', 'steps');
  const wq = scratch('i32', 'wq');
  const xq = scratch('i32', 'xq');
  const xq16 = scratch('i32', 'xq16');
  const x16 = scratch('i32', 'x16');
  const mask = scratch('v128', 'nibbleMask');
  const xs = scratch('v128', 'xs');
  const dw = scratch('v128', 'dw');
  const off = scratch('v128', 'off');
  // weight vectors of a step: [u][0 = chunk p, 1 = chunk p + 4]; plain: [u][half][low/high i16]
  const wv = (u: number, h: number) => scratch('v128', `w${u}_${h}`);
  const wx = (u: number, h: number, part: number) => scratch('v128', `wx${u}_${h}_${part}`);
  // accumulators per (tile, row, group): relaxed i16 sums and i32 sums; plain two i32 parts
  const s16 = (u: number, a: number, g: number) => scratch('v128', `s16_${u}_${a}_${g}`);
  const s32 = (u: number, a: number, g: number, part = 0) => scratch('v128', `s32_${u}_${a}_${g}_${part}`);
  // relaxed: chunks whose i16 pair sums (each ≤ 2·127·maxValue) add up without overflow
  const cap = Math.floor(32767 / (2 * 127 * f.maxValue));
  const perGroup = 8 / groups; // chunks of one group per record
  const wholeRecordI16 = relaxed && cap >= perGroup;
  const zero = () => b.v128({ i32: [0, 0, 0, 0] });

  if (u4) b.v128({ bytes: new Array<number>(16).fill(15) }).set(mask);
  b.i32(spec.k / 32).set(count);
  if (!relaxed) b.get(x0).i32(actI16Offset(spec.k)).op('i32.add').set(x16);
  b.loop((again) => {
    for (let u = 0; u < rt; u++)
      for (let a = 0; a < at; a++)
        for (let g = 0; g < groups; g++) {
          if (wholeRecordI16) zero().set(s16(u, a, g));
          else {
            zero().set(s32(u, a, g, 0));
            if (!relaxed) zero().set(s32(u, a, g, 1));
          }
        }
    b.get(wp).set(wq);
    b.get(x0).set(xq);
    if (!relaxed) b.get(x16).set(xq16);
    b.i32(4).set(steps);
    b.loop((step) => {
      for (let u = 0; u < rt; u++) {
        if (u4) {
          b.get(wq)
            .op('v128.load', u * tb)
            .set(wv(u, 1));
          b.get(wv(u, 1)).get(mask).op('v128.and').set(wv(u, 0));
          b.get(wv(u, 1)).i32(4).op('i16x8.shr_u').get(mask).op('v128.and').set(wv(u, 1));
        } else {
          b.get(wq)
            .op('v128.load', u * tb)
            .set(wv(u, 0));
          b.get(wq)
            .op('v128.load', u * tb + 64)
            .set(wv(u, 1));
        }
        if (!relaxed)
          for (let h = 0; h < 2; h++) {
            b.get(wv(u, h))
              .op(signed ? 'i16x8.extend_low_i8x16_s' : 'i16x8.extend_low_i8x16_u')
              .set(wx(u, h, 0));
            b.get(wv(u, h))
              .op(signed ? 'i16x8.extend_high_i8x16_s' : 'i16x8.extend_high_i8x16_u')
              .set(wx(u, h, 1));
          }
      }
      for (let a = 0; a < at; a++) {
        for (let h = 0; h < 2; h++) {
          const g = groups === 2 ? h : 0;
          if (relaxed) {
            // splat of the row's 4 activation bytes of chunk p + 4h (shared by the tiles)
            if (rt > 1)
              b.get(xq)
                .op('v128.load32_splat', a * xRow + 16 * h, 0)
                .set(xs);
            for (let u = 0; u < rt; u++) {
              if (rt > 1) b.get(xs);
              else b.get(xq).op('v128.load32_splat', a * xRow + 16 * h, 0);
              b.get(wv(u, h)).op('i16x8.relaxed_dot_i8x16_i7x16_s');
              if (wholeRecordI16)
                b.get(s16(u, a, g))
                  .op('i16x8.add')
                  .set(s16(u, a, g));
              else if (groups === 1 && h === 0) b.set(s16(u, a, g));
              else {
                if (groups === 1) b.get(s16(u, a, g)).op('i16x8.add');
                b.op('i32x4.extadd_pairwise_i16x8_s')
                  .get(s32(u, a, g))
                  .op('i32x4.add')
                  .set(s32(u, a, g));
              }
            }
          } else {
            b.get(xq16)
              .op('v128.load64_splat', a * xRow + 32 * h, 0)
              .set(xs);
            for (let u = 0; u < rt; u++)
              for (let part = 0; part < 2; part++)
                b.get(wx(u, h, part))
                  .get(xs)
                  .op('i32x4.dot_i16x8_s')
                  .get(s32(u, a, g, part))
                  .op('i32x4.add')
                  .set(s32(u, a, g, part));
          }
        }
      }
      b.get(wq).i32(16).op('i32.add').set(wq);
      b.get(xq).i32(4).op('i32.add').set(xq);
      if (!relaxed) b.get(xq16).i32(8).op('i32.add').set(xq16);
      b.get(steps).i32(1).op('i32.sub').tee(steps).brIf(step);
    });
    /** Pushes the i32x4 row sums of group g for tile u, activation row a. */
    const groupSum = (u: number, a: number, g: number) => {
      if (wholeRecordI16) return void b.get(s16(u, a, g)).op('i32x4.extadd_pairwise_i16x8_s');
      if (relaxed) return void b.get(s32(u, a, g));
      b.get(s32(u, a, g, 0))
        .get(s32(u, a, g, 1))
        .op('i8x16.shuffle', ...i32Lanes(0, 2, 4, 6));
      b.get(s32(u, a, g, 0))
        .get(s32(u, a, g, 1))
        .op('i8x16.shuffle', ...i32Lanes(1, 3, 5, 7));
      b.op('i32x4.add');
    };
    for (let u = 0; u < rt; u++) {
      const base = u * tb;
      for (let g = 0; g < groups; g++) {
        b.get(wp)
          .op('v128.load', base + data + 16 * g)
          .set(dw);
        if (f.offset === 'const') b.get(dw).splat('f32', f.constOffset).op('f32x4.mul').set(off);
        if (f.offset === 'free')
          b.get(wp)
            .op('v128.load', base + data + 16 * (groups + g))
            .set(off);
        for (let a = 0; a < at; a++) {
          const accum = acc[u]![a]!;
          b.get(accum);
          groupSum(u, a, g);
          b.op('f32x4.convert_i32x4_s');
          b.get(dw)
            .get(x0)
            .op('v128.load32_splat', a * xRow + ACT_D)
            .op('f32x4.mul');
          b.op('f32x4.mul').op('f32x4.add');
          if (f.offset !== 'none') {
            const sumAt = groups === 2 ? ACT_SUM16 + 4 * g : ACT_SUM;
            b.get(off)
              .get(x0)
              .op('v128.load32_splat', a * xRow + sumAt)
              .op('f32x4.mul')
              .op('f32x4.add');
          }
          b.set(accum);
        }
      }
    }
    b.get(wp).i32(rec).op('i32.add').set(wp);
    b.get(x0).i32(ACT_RECORD_BYTES).op('i32.add').set(x0);
    if (!relaxed) b.get(x16).i32(ACT_I16_BYTES).op('i32.add').set(x16);
    b.get(count).i32(1).op('i32.sub').tee(count).brIf(again);
  });
}
