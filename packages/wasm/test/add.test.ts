// Elementwise add (residual): exact in f32, odd lengths, in place, 1–3 threads.
import { describe, expect, it } from 'vitest';
import { ModuleBuilder } from '../src/encoder/index.ts';
import { emitAdd } from '../src/kernels/elementwise/add.ts';
import { KernelHarness } from '../src/testing/kernel-harness.ts';

describe('add', () => {
  for (const n of [1, 37, 100, 1001]) {
    it(`adds ${n} floats in place`, async () => {
      const a = Float32Array.from({ length: n }, () => Math.random() - 0.5);
      const d = Float32Array.from({ length: n }, () => Math.random() - 0.5);
      const mod = new ModuleBuilder().importMemory({ initial: 1 });
      const k = emitAdd(mod);
      for (const threads of [1, 2, 3]) {
        const h = await KernelHarness.create(mod, 1);
        const x = h.put(a);
        const y = h.put(d);
        h.run(k.name, [x, y, x, n], threads);
        // Tolerance: exact (one f32 addition, as Math.fround of the float64 sum).
        expect(Array.from(h.f32(x, n + 1).subarray(0, n))).toEqual(
          Array.from(a, (v, i) => Math.fround(v + (d[i] as number))),
        );
      }
    });
  }
});
