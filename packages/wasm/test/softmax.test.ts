// Softmax over short rows (MoE router) against float64: widths 1, 7, 8, 60, in place and strided,
// large logits (max subtraction), 1–3 threads, output poisoned first.
import { describe, expect, it } from 'vitest';
import { ModuleBuilder } from '../src/encoder/index.ts';
import { emitSoftmax } from '../src/kernels/elementwise/softmax.ts';
import { KernelHarness } from '../src/testing/kernel-harness.ts';

// Tolerance: ≤ 1e-6·(p + 1e-3) relative-ish: exp within 1.3e-7, an f32 sum of ≤ 60 terms.
const TOL = 1e-6;

describe('softmax', () => {
  for (const n of [1, 7, 8, 60]) {
    it(`normalises rows of ${n}`, async () => {
      const rows = 4;
      const ldx = n + 3;
      const ldo = n + 1;
      const xs = Float32Array.from({ length: rows * ldx }, () => 10 * (Math.random() * 2 - 1));
      xs[0] = 500; // far above the rest: probabilities ≈ one-hot without overflow
      const mod = new ModuleBuilder().importMemory({ initial: 1 });
      const k = emitSoftmax(mod, { n });
      expect(k.args).toEqual(['x', 'ldx', 'out', 'ldo', 'rows']);
      for (const threads of [1, 2, 3]) {
        for (const inPlace of [false, true]) {
          const h = await KernelHarness.create(mod, 1);
          const x = h.put(xs);
          const out = inPlace ? x : h.alloc(rows * ldo * 4);
          const ld = inPlace ? ldx : ldo;
          h.run(k.name, [x, ldx, out, ld, rows], threads);
          const got = h.f32(out, rows * ld);
          for (let r = 0; r < rows; r++) {
            const row = Array.from(xs.subarray(r * ldx, r * ldx + n));
            const m = Math.max(...row);
            const e = row.map((v) => Math.exp(v - m));
            const s = e.reduce((a, b) => a + b, 0);
            for (let j = 0; j < n; j++) {
              const want = (e[j] as number) / s;
              expect(Math.abs((got[r * ld + j] as number) - want)).toBeLessThanOrEqual(TOL * (want + 1e-3));
            }
            if (!inPlace) expect(Number.isNaN(got[r * ld + n] as number)).toBe(true);
          }
        }
      }
    });
  }
});
