// The f32x4 exp against Math.exp: random inputs over the whole normal range and edge inputs
// (±0, ±inf, NaN, the overflow and underflow thresholds, subnormal results).
import { describe, expect, it } from 'vitest';
import { ModuleBuilder } from '../src/encoder/index.ts';
import { emitExp } from '../src/kernels/math/exp.ts';
import { KernelHarness } from '../src/testing/kernel-harness.ts';

// Tolerance: relative error ≤ 3e-7 (≈ 2.5 ulp) where e^x is a normal f32; absolute ≤ 2^-149
// (one subnormal step, plus double rounding) where it is subnormal.
const REL = 3e-7;
const MIN_NORMAL = 2 ** -126;

async function expOf(xs: Float32Array, threads: number): Promise<Float32Array> {
  const mod = new ModuleBuilder().importMemory({ initial: 4 });
  const k = emitExp(mod);
  const h = await KernelHarness.create(mod, 4);
  const x = h.put(xs);
  const out = h.alloc(xs.length * 4);
  h.run(k.name, [x, out, xs.length], threads);
  return Float32Array.from(h.f32(out, xs.length));
}

describe('exp (f32x4)', () => {
  it('matches Math.exp on random inputs over [-104, 89]', async () => {
    const n = 20_003;
    const xs = new Float32Array(n);
    for (let i = 0; i < n; i++)
      xs[i] = Math.random() < 0.5 ? -104 + 193 * Math.random() : 20 * (Math.random() - 0.5);
    for (const threads of [1, 2, 3]) {
      const got = await expOf(xs, threads);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const want = Math.exp(xs[i] as number);
        const g = got[i] as number;
        if (want > 3.4028234663852886e38) expect(g).toBe(Number.POSITIVE_INFINITY);
        else if (want >= MIN_NORMAL) worst = Math.max(worst, Math.abs(g - want) / want);
        else expect(Math.abs(g - want)).toBeLessThanOrEqual(2 ** -149);
      }
      expect(worst).toBeLessThanOrEqual(REL);
    }
  });

  it('handles the edges', async () => {
    const edges = [
      0,
      -0,
      1,
      -1,
      88.72283,
      88.7228394,
      88.8,
      89,
      1000,
      -87.33654,
      -87.5,
      -100,
      -103.9,
      -104,
      -150,
      -1e30,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.NaN,
      1e-8,
      -1e-8,
      0.34657359,
      -0.34657359,
    ];
    const xs = Float32Array.from(edges);
    const got = await expOf(xs, 2);
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as number;
      const g = got[i] as number;
      const want = Math.exp(x);
      if (Number.isNaN(x)) expect(g).toBeNaN();
      else if (Math.fround(want) === Number.POSITIVE_INFINITY) expect(g).toBe(Number.POSITIVE_INFINITY);
      else if (want < MIN_NORMAL) expect(Math.abs(g - want)).toBeLessThanOrEqual(2 ** -149);
      else expect(Math.abs(g - want) / want).toBeLessThanOrEqual(REL);
    }
    expect(got[0]).toBe(1);
    expect(got[16]).toBe(0);
  });
});
