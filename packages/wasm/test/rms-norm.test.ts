// RMSNorm kernels against a float64 reference (llama.cpp semantics, as in the runtime's
// reference forward pass): whole rows of odd widths, and per-head groups in place with a row
// stride (qwen3's q/k norm), for 1, 2 and 3 threads, outputs poisoned first.
import { describe, expect, it } from 'vitest';
import { ModuleBuilder } from '../src/encoder/index.ts';
import { emitRmsNorm } from '../src/kernels/norm/rms-norm.ts';
import { KernelHarness } from '../src/testing/kernel-harness.ts';

// Tolerance: |got − want| ≤ 2e-6·(1 + |want|): f32 sums of ≤ 100 squares and three roundings.
const TOL = 2e-6;

function random(n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * (Math.random() * 2 - 1));
}

/** x / sqrt(mean(x²) + eps) · w over one group, in float64. */
function refGroup(x: ArrayLike<number>, w: ArrayLike<number>, eps: number): number[] {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i] as number) ** 2;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  return Array.from({ length: x.length }, (_, i) => (x[i] as number) * inv * (w[i] as number));
}

describe('rms norm', () => {
  for (const dim of [36, 100, 7, 4]) {
    it(`normalises rows of ${dim} with strides`, async () => {
      const rows = 5;
      const ldx = dim + 3;
      const ldo = dim + 1;
      const eps = 1e-5;
      const mod = new ModuleBuilder().importMemory({ initial: 2 });
      const k = emitRmsNorm(mod, { dim, eps });
      expect(k.args).toEqual(['x', 'w', 'out', 'rows', 'ldx', 'ldo']);
      const xs = random(rows * ldx, 3);
      const ws = random(dim);
      for (const threads of [1, 2, 3]) {
        const h = await KernelHarness.create(mod, 2);
        const x = h.put(xs);
        const w = h.put(ws);
        const out = h.alloc(rows * ldo * 4);
        h.run(k.name, [x, w, out, rows, ldx, ldo], threads);
        const got = h.f32(out, rows * ldo);
        for (let r = 0; r < rows; r++) {
          const want = refGroup(xs.subarray(r * ldx, r * ldx + dim), ws, Math.fround(eps));
          for (let j = 0; j < dim; j++) {
            const g = got[r * ldo + j] as number;
            expect(Math.abs(g - (want[j] as number))).toBeLessThanOrEqual(
              TOL * (1 + Math.abs(want[j] as number)),
            );
          }
          if (ldo > dim) expect(Number.isNaN(got[r * ldo + dim] as number)).toBe(true); // padding untouched
        }
      }
    });
  }

  it('normalises heads in place (3 groups of 6, row stride 25)', async () => {
    const dim = 6;
    const groups = 3;
    const rows = 4;
    const ld = 25;
    const eps = 1e-6;
    const mod = new ModuleBuilder().importMemory({ initial: 2 });
    const k = emitRmsNorm(mod, { dim, eps, groups });
    const xs = random(rows * ld, 2);
    const ws = random(dim);
    for (const threads of [1, 2, 3]) {
      const h = await KernelHarness.create(mod, 2);
      const x = h.put(xs);
      const w = h.put(ws);
      h.run(k.name, [x, w, x, rows, ld, ld], threads);
      const got = h.f32(x, rows * ld);
      for (let r = 0; r < rows; r++) {
        for (let g = 0; g < groups; g++) {
          const at = r * ld + g * dim;
          const want = refGroup(xs.subarray(at, at + dim), ws, Math.fround(eps));
          for (let j = 0; j < dim; j++) {
            expect(Math.abs((got[at + j] as number) - (want[j] as number))).toBeLessThanOrEqual(
              TOL * (1 + Math.abs(want[j] as number)),
            );
          }
        }
        for (let j = groups * dim; j < ld; j++) expect(got[r * ld + j]).toBe(xs[r * ld + j]); // rest of row untouched
      }
    }
  });
});
