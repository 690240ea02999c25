// SiLU-mul against float64: fused gate+up rows (widths 100 and 300, the latter over two column
// blocks), separate output with a stride, in place, 1–3 threads, output poisoned first.
import { describe, expect, it } from 'vitest';
import { roundToF16 } from '../../gpu/src/quant/half.ts';
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

/** ggml's CPU GELU (GGML_GELU_FP16): f16(gelu(f16(g))) for |g| < 10, g above, 0 below. */
function ggmlGelu(g: number): number {
  if (g <= -10) return 0;
  if (g >= 10) return g;
  const x = roundToF16(g);
  return roundToF16(0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * x * (1 + 0.044715 * x * x))));
}

describe('gelu mul', () => {
  for (const ff of [100, 7]) {
    it(`ff ${ff}: ggml's f16 GELU table, equal to the table but where f32 rounding crosses an f16 tie`, async () => {
      const rows = 2;
      const ldx = 2 * ff + 3;
      const xs = Float32Array.from({ length: rows * ldx }, () => 14 * (Math.random() * 2 - 1));
      xs[0] = -50;
      xs[1] = 12;
      xs[2] = 9.99;
      const mod = new ModuleBuilder().importMemory({ initial: 2 });
      const k = emitSiluMul(mod, { ff, act: 'gelu' });
      expect(k.name).toBe(`gelu_mul_${ff}`);
      for (const threads of [1, 2]) {
        const h = await KernelHarness.create(mod, 2);
        const x = h.put(xs);
        const out = h.alloc(rows * ff * 4);
        h.run(k.name, [x, x + 4 * ff, ldx, out, ff, rows], threads);
        const got = h.f32(out, rows * ff);
        let exact = 0;
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < ff; j++) {
            const g = xs[r * ldx + j] as number;
            const up = xs[r * ldx + ff + j] as number;
            const want = ggmlGelu(g) * up;
            const err = Math.abs((got[r * ff + j] as number) - want);
            if (err <= 1e-6 * Math.abs(want) + 1e-30) exact++;
            // Off only by one f16 step of gelu (2^−10 relative) where f32 rounding crossed a tie.
            expect(err).toBeLessThanOrEqual(2 ** -10 * Math.abs(ggmlGelu(g) * up) + 1e-6 * Math.abs(up));
          }
        }
        expect(exact / (rows * ff), 'share equal to the f16 table').toBeGreaterThan(0.95);
      }
    });
  }
});
