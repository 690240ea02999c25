// Row gather: exact copies of selected rows (repeats allowed), width 36 and 7, 1–3 threads.
import { describe, expect, it } from 'vitest';
import { ModuleBuilder } from '../src/encoder/index.ts';
import { emitGatherRows } from '../src/kernels/elementwise/gather-rows.ts';
import { KernelHarness } from '../src/testing/kernel-harness.ts';

describe('gather rows', () => {
  for (const dim of [36, 7]) {
    it(`copies rows of ${dim}`, async () => {
      const lds = dim + 1;
      const ldd = dim + 2;
      const src = Float32Array.from({ length: 10 * lds }, () => Math.random());
      const index = Uint32Array.from([3, 9, 0, 3, 5]);
      const mod = new ModuleBuilder().importMemory({ initial: 1 });
      const k = emitGatherRows(mod, { dim });
      expect(k.args).toEqual(['src', 'lds', 'index', 'dst', 'ldd', 'count']);
      for (const threads of [1, 2, 3]) {
        const h = await KernelHarness.create(mod, 1);
        const s = h.put(src);
        const ix = h.put(index);
        const d = h.alloc(index.length * ldd * 4);
        h.run(k.name, [s, lds, ix, d, ldd, index.length], threads);
        const got = h.f32(d, index.length * ldd);
        index.forEach((row, i) => {
          expect(Array.from(got.subarray(i * ldd, i * ldd + dim))).toEqual(
            Array.from(src.subarray(row * lds, row * lds + dim)),
          );
          expect(Number.isNaN(got[i * ldd + dim] as number)).toBe(true);
        });
      }
    });
  }
});
