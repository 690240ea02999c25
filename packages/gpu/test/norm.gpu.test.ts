import { describe, expect, it } from 'vitest';
import { RmsNormOp, rmsNormTuningSpace } from '../src/ops/norm/rms-norm.ts';
import {
  expectClose,
  freshSeed,
  poisonedBuffer,
  randomF32,
  readF32,
  seededRandom,
  spaceSample,
  testKernelContext,
  uploadBuffer,
} from '../src/testing/index.ts';

// f32 sum of up to ~1000 squares (tree-reduced) then inverseSqrt: relative error ~1e-6;
// outputs are O(1), so 2e-5 absolute + relative leaves margin without hiding a wrong formula.
const TOL = { atol: 2e-5, rtol: 2e-5 };

/** float64 RMSNorm of `dim` values starting at `x[xb]`. */
function refNorm(x: ArrayLike<number>, xb: number, dim: number, w: ArrayLike<number>, eps: number): number[] {
  let ss = 0;
  for (let c = 0; c < dim; c++) ss += (x[xb + c] as number) ** 2;
  const inv = 1 / Math.sqrt(ss / dim + eps);
  return Array.from({ length: dim }, (_, c) => (x[xb + c] as number) * inv * (w[c] as number));
}

describe('RMSNorm on SwiftShader', () => {
  const seed = freshSeed();
  const configs = spaceSample(rmsNormTuningSpace, 4, seed);

  it('normalises whole rows (odd sizes), with and without the fused residual add', async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const rand = seededRandom(seed);
    for (const config of configs) {
      const plain = await RmsNormOp.prepare(ctx, { config });
      const residual = await RmsNormOp.prepare(ctx, { mode: 'residual', config });
      for (const [rows, dim] of [
        [1, 7],
        [5, 333],
        [19, 1000],
      ] as const) {
        const label = `seed ${seed} config ${JSON.stringify(config)} ${rows}×${dim}`;
        const eps = 1e-5 * (1 + rand());
        const x = randomF32(rows * dim, rand, -3, 3);
        const delta = randomF32(rows * dim, rand, -3, 3);
        const w = randomF32(dim, rand, -2, 2);
        const wBuf = uploadBuffer(device, w);
        const out = poisonedBuffer(device, rows * dim * 4 + 32);
        const h = uploadBuffer(device, x);
        const outRes = poisonedBuffer(device, rows * dim * 4);
        const enc = device.createCommandEncoder();
        plain.encode(enc, { x: uploadBuffer(device, x), w: wBuf, out, rows, dim, eps });
        residual.encode(enc, {
          x: h,
          delta: uploadBuffer(device, delta),
          w: wBuf,
          out: outRes,
          rows,
          dim,
          eps,
        });
        device.queue.submit([enc.finish()]);

        const sum = Float64Array.from(x, (v, i) => v + (delta[i] as number));
        const ref: number[] = [];
        const refRes: number[] = [];
        for (let r = 0; r < rows; r++) {
          ref.push(...refNorm(x, r * dim, dim, w, eps));
          refRes.push(...refNorm(sum, r * dim, dim, w, eps));
        }
        const got = await readF32(device, out, 0, rows * dim + 8);
        expectClose(got, ref, TOL, `rms-norm ${label}`);
        for (let i = rows * dim; i < rows * dim + 8; i++) expect(Number.isNaN(got[i])).toBe(true);
        expectClose(await readF32(device, outRes), refRes, TOL, `residual rms-norm ${label}`);
        expectClose(await readF32(device, h), sum, { atol: 1e-6, rtol: 1e-6 }, `residual stream ${label}`);
      }
    }
  });

  it('normalises each head in place inside a fused qkv row (qwen3 q/k norm)', async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const rand = seededRandom(seed ^ 0x5a5a);
    for (const config of configs) {
      const op = await RmsNormOp.prepare(ctx, { mode: 'in-place', config });
      for (const [rows, nHeads, nKv, hd] of [
        [1, 2, 1, 16],
        [5, 6, 2, 64],
        [19, 3, 3, 128],
      ] as const) {
        const label = `seed ${seed} config ${JSON.stringify(config)} rows ${rows} heads ${nHeads}/${nKv} hd ${hd}`;
        const stride = (nHeads + 2 * nKv) * hd;
        const qkv = randomF32(rows * stride, rand, -3, 3);
        const qw = randomF32(hd, rand, -2, 2);
        const kw = randomF32(hd, rand, -2, 2);
        const buf = uploadBuffer(device, qkv);
        const enc = device.createCommandEncoder();
        const eps = 1e-6;
        op.encode(enc, {
          x: buf,
          w: uploadBuffer(device, qw),
          rows,
          dim: hd,
          groupsPerRow: nHeads,
          xStride: stride,
          eps,
        });
        op.encode(enc, {
          x: buf,
          w: uploadBuffer(device, kw),
          rows,
          dim: hd,
          groupsPerRow: nKv,
          xStride: stride,
          xOffset: nHeads * hd,
          eps,
        });
        device.queue.submit([enc.finish()]);
        const ref = Float64Array.from(qkv);
        for (let r = 0; r < rows; r++) {
          for (let h = 0; h < nHeads + nKv; h++) {
            const b = r * stride + h * hd;
            ref.set(refNorm(qkv, b, hd, h < nHeads ? qw : kw, eps), b);
          }
        }
        // v heads must be untouched (exact).
        expectClose(await readF32(device, buf), ref, TOL, `per-head rms-norm ${label}`);
      }
    }
  });
});
