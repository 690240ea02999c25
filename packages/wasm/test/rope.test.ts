// RoPE kernel and table against float64 references: norm and neox pairing, ropeDims below
// headDim, odd pair counts, q and k as slices of one fused qkv row, 1–3 threads.
import { describe, expect, it } from 'vitest';
import { ModuleBuilder } from '../src/encoder/index.ts';
import { emitRope } from '../src/kernels/rope/rope.ts';
import { buildRopeTable } from '../src/kernels/rope/rope-table.ts';
import { KernelHarness } from '../src/testing/kernel-harness.ts';

// Tolerance: |got − want| ≤ 1e-6 absolute for inputs in [−1, 1]: cos/sin rounded to f32
// (≤ 6e-8 relative each), two f32 products and a sum.
const TOL = 1e-6;

/** Float64 rotation of one head (llama.cpp ggml_rope, ext_factor 0), as in the reference forward pass. */
function refRope(
  x: number[],
  pos: number,
  ropeDims: number,
  base: number,
  style: 'norm' | 'neox',
  factors?: number[],
  scale = 1,
): number[] {
  const y = [...x];
  const half = ropeDims / 2;
  for (let i = 0; i < half; i++) {
    const theta = ((pos / scale) * base ** ((-2 * i) / ropeDims)) / (factors ? (factors[i] as number) : 1);
    const [a, b] = style === 'norm' ? [2 * i, 2 * i + 1] : [i, i + half];
    const x0 = x[a] as number;
    const x1 = x[b] as number;
    y[a] = x0 * Math.cos(theta) - x1 * Math.sin(theta);
    y[b] = x0 * Math.sin(theta) + x1 * Math.cos(theta);
  }
  return y;
}

const CASES = [
  { headDim: 8, ropeDims: 8 },
  { headDim: 6, ropeDims: 6 },
  { headDim: 10, ropeDims: 6 },
  { headDim: 64, ropeDims: 64 },
  { headDim: 14, ropeDims: 14 },
];

describe('rope', () => {
  for (const style of ['norm', 'neox'] as const) {
    for (const { headDim, ropeDims } of CASES) {
      it(`${style}, head dim ${headDim}, rope dims ${ropeDims}, 3 q heads over 1 kv head, fused qkv rows`, async () => {
        const nHeads = 3;
        const nKv = 1;
        const positions = [0, 1, 17, 5, 300, 15, 16];
        const rows = positions.length;
        const nq = nHeads * headDim;
        const nk = nKv * headDim;
        const ldy = nq + 2 * nk + 3;
        const base = 10000;
        const factors = Array.from({ length: ropeDims / 2 }, (_, i) => 1 + (i % 3));
        const scale = style === 'norm' ? 2 : 1;
        const table = buildRopeTable({
          ropeDims,
          base,
          maxPositions: 301,
          freqFactors: style === 'norm' ? factors : undefined,
          linearScale: scale,
        });
        const mod = new ModuleBuilder().importMemory({ initial: 4 });
        const k = emitRope(mod, { nHeads, nKvHeads: nKv, headDim, ropeDims, style });
        expect(k.args).toEqual(['q', 'k', 'ldq', 'ldk', 'rowInfo', 'table', 'rows']);
        const ys = Float32Array.from({ length: rows * ldy }, () => Math.random() * 2 - 1);
        const info = Uint32Array.from(positions.flatMap((p, r) => [r % 2, p]));
        for (const threads of [1, 2, 3]) {
          const h = await KernelHarness.create(mod, 4);
          const y = h.put(ys);
          const t = h.put(table);
          const ri = h.put(info);
          h.run(k.name, [y, y + 4 * nq, ldy, ldy, ri, t, rows], threads);
          const got = h.f32(y, rows * ldy);
          for (let r = 0; r < rows; r++) {
            const pos = positions[r] as number;
            for (let hd = 0; hd < nHeads + nKv; hd++) {
              const at = r * ldy + hd * headDim;
              const x = Array.from(ys.subarray(at, at + headDim));
              const want = refRope(
                x,
                pos,
                ropeDims,
                base,
                style,
                style === 'norm' ? factors : undefined,
                scale,
              );
              for (let d = 0; d < headDim; d++) {
                expect(Math.abs((got[at + d] as number) - (want[d] as number))).toBeLessThanOrEqual(TOL);
              }
            }
            for (let c = nq + nk; c < ldy; c++) expect(got[r * ldy + c]).toBe(ys[r * ldy + c]); // v and padding untouched
          }
        }
      });
    }
  }

  it('builds the table in float64 with frequency factors and linear scaling', () => {
    const t = buildRopeTable({
      ropeDims: 4,
      base: 500000,
      maxPositions: 3,
      freqFactors: [1, 8],
      linearScale: 4,
    });
    const theta = (p: number, i: number) => ((p / 4) * 500000 ** (-i / 2)) / (i ? 8 : 1);
    for (let p = 0; p < 3; p++) {
      for (let i = 0; i < 2; i++) {
        expect(t[(p * 2 + i) * 2]).toBe(Math.fround(Math.cos(theta(p, i))));
        expect(t[(p * 2 + i) * 2 + 1]).toBe(Math.fround(Math.sin(theta(p, i))));
      }
    }
  });
});
