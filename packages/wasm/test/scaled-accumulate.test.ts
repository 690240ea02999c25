// MoE combine: x[row] += w·y[i] over (row, weight) pairs, rows repeated (top-2 of each token),
// width 300 (two column blocks and a tail), 1–3 threads.
import { describe, expect, it } from 'vitest';
import { ModuleBuilder } from '../src/encoder/index.ts';
import { emitScaledAccumulate } from '../src/kernels/elementwise/scaled-accumulate.ts';
import { KernelHarness } from '../src/testing/kernel-harness.ts';

// Tolerance: ≤ 1e-6 absolute (three f32 multiply-adds of values below 1).
const TOL = 1e-6;

describe('scaled accumulate', () => {
  it('adds weighted expert rows into their tokens', async () => {
    const dim = 301;
    const ldx = dim + 2;
    const ldy = dim + 3;
    const pairRows = [2, 0, 2, 1, 0];
    const weights = [0.25, 0.5, 0.75, 1, -0.125];
    const xs = Float32Array.from({ length: 3 * ldx }, () => Math.random() - 0.5);
    const ys = Float32Array.from({ length: pairRows.length * ldy }, () => Math.random() - 0.5);
    const pairs = new DataView(new ArrayBuffer(8 * pairRows.length));
    pairRows.forEach((r, i) => {
      pairs.setUint32(8 * i, r, true);
      pairs.setFloat32(8 * i + 4, weights[i] as number, true);
    });
    const mod = new ModuleBuilder().importMemory({ initial: 1 });
    const k = emitScaledAccumulate(mod, { dim });
    expect(k.args).toEqual(['x', 'ldx', 'y', 'ldy', 'pairs', 'count']);
    for (const threads of [1, 2, 3]) {
      const h = await KernelHarness.create(mod, 1);
      const x = h.put(xs);
      const y = h.put(ys);
      const p = h.put(pairs);
      h.run(k.name, [x, ldx, y, ldy, p, pairRows.length], threads);
      const got = h.f32(x, 3 * ldx);
      for (let r = 0; r < 3; r++) {
        for (let j = 0; j < ldx; j++) {
          let want = xs[r * ldx + j] as number;
          if (j < dim) {
            pairRows.forEach((pr, i) => {
              if (pr === r) want += (weights[i] as number) * (ys[i * ldy + j] as number);
            });
          }
          expect(Math.abs((got[r * ldx + j] as number) - want)).toBeLessThanOrEqual(j < dim ? TOL : 0);
        }
      }
    }
  });
});
