// SiLU-mul against float64: fused gate+up rows (widths 100 and 300, the latter over two column
// blocks), separate output with a stride, in place, 1–3 threads, output poisoned first.
import { describe, expect, it } from 'vitest';
import { ModuleBuilder } from '../src/encoder/index.ts';
import { emitSiluMul } from '../src/kernels/elementwise/silu-mul.ts';
import { KernelHarness } from '../src/testing/kernel-harness.ts';

// Tolerance: ≤ 4e-7 relative + 1e-30 (exp within 1.3e-7, one add, one divide, one multiply).
const REL = 4e-7;

describe('silu mul', () => {
  for (const ff of [100, 300, 3]) {
    it(`ff ${ff}, fused rows`, async () => {
      const rows = 3;
      const ldx = 2 * ff + 5;
      const ldo = ff + 1;
      const xs = Float32Array.from({ length: rows * ldx }, () => 12 * (Math.random() * 2 - 1));
      xs[0] = -100; // e^100 overflows: silu → −0
      xs[1] = 90;
      const mod = new ModuleBuilder().importMemory({ initial: 2 });
      const k = emitSiluMul(mod, { ff });
      expect(k.args).toEqual(['gate', 'up', 'ldx', 'out', 'ldo', 'rows']);
      for (const threads of [1, 2, 3]) {
        for (const inPlace of [false, true]) {
          const h = await KernelHarness.create(mod, 2);
          const x = h.put(xs);
          const out = inPlace ? x : h.alloc(rows * ldo * 4);
          const ld = inPlace ? ldx : ldo;
          h.run(k.name, [x, x + 4 * ff, ldx, out, ld, rows], threads);
          const got = h.f32(out, rows * ld);
          for (let r = 0; r < rows; r++) {
            for (let j = 0; j < ff; j++) {
              const g = xs[r * ldx + j] as number;
              const want = (g / (1 + Math.exp(-g))) * (xs[r * ldx + ff + j] as number);
              expect(Math.abs((got[r * ld + j] as number) - want)).toBeLessThanOrEqual(
                REL * Math.abs(want) + 1e-30,
              );
            }
            if (!inPlace) expect(Number.isNaN(got[r * ld + ff] as number)).toBe(true);
          }
        }
      }
    });
  }
});
