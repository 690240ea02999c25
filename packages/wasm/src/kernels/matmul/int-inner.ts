// The inner loop of the integer matmuls: for each record of 32 columns (one per activation
// record), integer dot products of the 4 rows' values against each activation row's int8
// values, then f32: acc += f32(Σq·x)·(d_w·d_x) + offset·(d_x·Σx).
//
// A weight v128 holds 4 rows × 4 columns (packed-format.ts), the activation's 4 bytes for those
// columns are splatted to all lanes (v128.load32_splat), so each dot lane is one row's partial
// sum and no horizontal reduction is needed:
//   relaxed: i32x4.relaxed_dot_i8x16_i7x16_add_s(x int8, w 0…127, acc) — the weight is the 7-bit
//            operand, so every lowering (VNNI, pmaddubsw, Arm sdot) gives the same result;
//   plain:   i16 widening of both and i32x4.dot_i16x8_s: lanes (r0,r0,r1,r1) and (r2,r2,r3,r3),
//            folded to (r0,r1,r2,r3) by two shuffles and an add per record.
// The offset term (Q4_0's −8·d, Q4_1's m, …) uses the activation record's d·Σq, in f32: the
// result equals llama.cpp's integer Σ(q−8)·x scaled per block up to f32 rounding.
import type { Local } from '../../encoder/index.ts';
import { recordBytes, recordDataBytes } from '../../weights/index.ts';
import {
  ACT_D,
  ACT_I16_BYTES,
  ACT_RECORD_BYTES,
  ACT_SUM,
  ACT_SUM16,
  actI16Offset,
} from './activation-layout.ts';
import type { PassContext } from './emit-matmul.ts';
import { i32Lanes } from './quantize-activations.ts';

/** Emits the loop over k/32 records for the pass in `ctx`, adding into its accumulators. */
export function emitIntInner(ctx: PassContext): void {
  const { b, spec, format: f, tileBytes: tb, wp, xp, acc, scratch } = ctx;
  const rt = acc.length;
  const at = xp.length;
  const halves = f.group === 16 ? 2 : 1; // scale groups per record
  // Two independent dot chains (chunks 0–3 and 4–7) when the pass is small, to hide latency;
  // groups of 16 always need two (their scales differ).
  const slots = halves === 2 || rt * at <= 2 ? 2 : 1;
  const slotOf = (c: number) => (slots === 2 ? c >> 2 : 0);
  const relaxed = spec.relaxed;
  const signed = f.kind === 's8';
  const data = recordDataBytes(f);
  const rec = recordBytes(f);
  const count = scratch('i32', 'records');
  const mask = scratch('v128', 'nibbleMask');
  const zero = scratch('v128', 'zero');
  const xs = scratch('v128', 'xsplat');
  // integer accumulators: [u][a][slot] (relaxed: one; plain: low and high row pairs)
  const ia = (u: number, a: number, h: number, part = 0) => scratch('v128', `ia${u}_${a}_${h}_${part}`);
  const i16 = (u: number, a: number, h: number) => scratch('v128', `i16_${u}_${a}_${h}`);
  const i16Dots = spec.relaxedDot === 'i16';
  // chunks whose i16 pair sums (each ≤ 2·127·maxValue) add up without overflow
  const cap = Math.max(1, Math.min(8, Math.floor(32767 / (2 * 127 * f.maxValue))));
  const W = scratch('v128', 'w');
  const W2 = scratch('v128', 'w2');
  const wl = scratch('v128', 'wl');
  const wh = scratch('v128', 'wh');
  const x16 = scratch('v128', 'x16');
  const dw = scratch('v128', 'dw');
  const off = scratch('v128', 'off');

  if (relaxed) b.v128({ i32: [0, 0, 0, 0] }).set(zero);
  if (f.kind === 'u4') b.v128({ bytes: new Array<number>(16).fill(15) }).set(mask);
  // the plain dots read the i16 copy of the activations, in its own region after the records
  const x16p = relaxed ? [] : xp.map((_, a) => scratch('i32', `x16p${a}`));
  for (const [a, p] of x16p.entries())
    b.get(xp[a] as Local)
      .i32(actI16Offset(spec.k))
      .op('i32.add')
      .set(p);
  b.i32(spec.k / 32).set(count);
  b.loop((again) => {
    const flushed = new Set<string>();
    for (let u = 0; u < rt; u++) {
      const seen = new Set<string>();
      const run = [0, 0]; // chunks summed in the i16 accumulators of each slot since the last flush
      const done = [0, 0]; // chunks of each slot processed
      /** Dots of chunk c (weights in local `wv`) into every activation row's accumulator. */
      const chunk = (c: number, wv: Local) => {
        const h = slotOf(c);
        const first = !seen.has(`${h}`);
        seen.add(`${h}`);
        if (relaxed && i16Dots) {
          // i16x8.relaxed_dot_i8x16_i7x16_s (one pmaddubsw on x86) summed in i16 over `cap`
          // chunks, then widened once: |x| ≤ 127 and w ≤ maxValue keep every i16 sum exact.
          for (let a = 0; a < at; a++) {
            b.get(xp[a] as Local)
              .op('v128.load32_splat', 4 * c, 0)
              .get(wv);
            b.op('i16x8.relaxed_dot_i8x16_i7x16_s');
            if (run[h]) b.get(i16(u, a, h)).op('i16x8.add');
            b.set(i16(u, a, h));
          }
          run[h] = (run[h] ?? 0) + 1;
          done[h] = (done[h] ?? 0) + 1;
          if (run[h] === cap || done[h] === 8 / slots) {
            for (let a = 0; a < at; a++) {
              b.get(i16(u, a, h)).op('i32x4.extadd_pairwise_i16x8_s');
              if (flushed.has(`${u}_${a}_${h}`)) b.get(ia(u, a, h)).op('i32x4.add');
              flushed.add(`${u}_${a}_${h}`);
              b.set(ia(u, a, h));
            }
            run[h] = 0;
          }
          return;
        }
        if (relaxed) {
          // Every operand comes from a local: Node 20's V8 (11.3) baseline compiler may give the
          // result the accumulator's register when that is a temporary, and then returns 2·dot
          // instead of dot + acc; from locals it computes right (TurboFan is right either way).
          for (let a = 0; a < at; a++) {
            const x = xp[a] as Local;
            b.get(x)
              .op('v128.load32_splat', 4 * c, 0)
              .set(xs);
            b.get(xs)
              .get(wv)
              .get(first ? zero : ia(u, a, h));
            b.op('i32x4.relaxed_dot_i8x16_i7x16_add_s').set(ia(u, a, h));
          }
          return;
        }
        b.get(wv)
          .op(signed ? 'i16x8.extend_low_i8x16_s' : 'i16x8.extend_low_i8x16_u')
          .set(wl);
        b.get(wv)
          .op(signed ? 'i16x8.extend_high_i8x16_s' : 'i16x8.extend_high_i8x16_u')
          .set(wh);
        for (let a = 0; a < at; a++) {
          b.get(x16p[a] as Local)
            .op('v128.load64_splat', 8 * c, 0)
            .set(x16);
          for (const [part, half] of [
            [0, wl],
            [1, wh],
          ] as const) {
            b.get(half).get(x16).op('i32x4.dot_i16x8_s');
            if (!first) b.get(ia(u, a, h, part)).op('i32x4.add');
            b.set(ia(u, a, h, part));
          }
        }
      };
      const base = u * tb;
      if (f.kind === 'u4') {
        for (let p = 0; p < 4; p++) {
          b.get(wp)
            .op('v128.load', base + 16 * p)
            .set(W2);
          b.get(W2).get(mask).op('v128.and').set(W);
          chunk(p, W);
          b.get(W2).i32(4).op('i8x16.shr_u').set(W);
          chunk(p + 4, W);
        }
      } else {
        for (let c = 0; c < 8; c++) {
          b.get(wp)
            .op('v128.load', base + 16 * c)
            .set(W);
          chunk(c, W);
        }
      }
      /** Pushes the i32x4 row sums of slot h for activation row a. */
      const slotSum = (a: number, h: number) => {
        if (relaxed) return void b.get(ia(u, a, h));
        // plain: (r0,r0,r1,r1) + (r2,r2,r3,r3) → (r0,r1,r2,r3)
        b.get(ia(u, a, h, 0))
          .get(ia(u, a, h, 1))
          .op('i8x16.shuffle', ...i32Lanes(0, 2, 4, 6));
        b.get(ia(u, a, h, 0))
          .get(ia(u, a, h, 1))
          .op('i8x16.shuffle', ...i32Lanes(1, 3, 5, 7));
        b.op('i32x4.add');
      };
      for (let s = 0; s < halves; s++) {
        b.get(wp)
          .op('v128.load', base + data + 16 * s)
          .set(dw);
        if (f.offset === 'const') b.get(dw).splat('f32', f.constOffset).op('f32x4.mul').set(off);
        if (f.offset === 'free')
          b.get(wp)
            .op('v128.load', base + data + 16 * (halves + s))
            .set(off);
        for (let a = 0; a < at; a++) {
          const x = xp[a] as Local;
          const accum = acc[u]![a]!;
          b.get(accum);
          if (halves === 2) slotSum(a, s);
          else {
            slotSum(a, 0);
            if (slots === 2) {
              slotSum(a, 1);
              b.op('i32x4.add');
            }
          }
          b.op('f32x4.convert_i32x4_s');
          b.get(dw).get(x).op('v128.load32_splat', ACT_D).op('f32x4.mul');
          b.op('f32x4.mul').op('f32x4.add');
          if (f.offset !== 'none') {
            const sumAt = halves === 2 ? ACT_SUM16 + 4 * s : ACT_SUM;
            b.get(off).get(x).op('v128.load32_splat', sumAt).op('f32x4.mul').op('f32x4.add');
          }
          b.set(accum);
        }
      }
    }
    b.get(wp).i32(rec).op('i32.add').set(wp);
    for (const x of xp) b.get(x).i32(ACT_RECORD_BYTES).op('i32.add').set(x);
    for (const p of x16p) b.get(p).i32(ACT_I16_BYTES).op('i32.add').set(p);
    b.get(count).i32(1).op('i32.sub').tee(count).brIf(again);
  });
}
