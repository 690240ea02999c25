// The inner loop of the f32 matmul (F32, F16 and BF16 weights, converted at load): per column c,
// the tile's 4 rows are one v128 (packed-format.ts), multiplied by x[j, c] splatted, added to the
// accumulator whose lanes are the 4 rows. Activations are f32 (not quantized), rows of k.
import type { Local } from '../../encoder/index.ts';
import type { PassContext } from './emit-matmul.ts';

/** Columns per loop iteration. */
const UNROLL = 4;

/** Emits the loop over the k columns for the pass in `ctx`, adding into its accumulators. */
export function emitF32Inner(ctx: PassContext): void {
  const { b, spec, tileBytes: tb, wp, xp, acc, scratch } = ctx;
  const rt = acc.length;
  const W = scratch('v128', 'w');
  const count = scratch('i32', 'columns');
  const columns = (n: number) => {
    for (let c = 0; c < n; c++) {
      for (let u = 0; u < rt; u++) {
        b.get(wp)
          .op('v128.load', u * tb + 16 * c)
          .set(W);
        for (const [a, x] of xp.entries()) {
          const accum = acc[u]![a]!;
          b.get(accum)
            .get(W)
            .get(x)
            .op('v128.load32_splat', 4 * c)
            .op('f32x4.mul')
            .op('f32x4.add')
            .set(accum);
        }
      }
    }
  };
  const advance = (n: number) => {
    b.get(wp)
      .i32(16 * n)
      .op('i32.add')
      .set(wp);
    for (const x of xp)
      b.get(x as Local)
        .i32(4 * n)
        .op('i32.add')
        .set(x as Local);
  };
  const loops = Math.floor(spec.k / UNROLL);
  if (loops > 0) {
    b.i32(loops).set(count);
    b.loop((again) => {
      columns(UNROLL);
      advance(UNROLL);
      b.get(count).i32(1).op('i32.sub').tee(count).brIf(again);
    });
  }
  columns(spec.k % UNROLL);
}
