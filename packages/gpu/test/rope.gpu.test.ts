import { describe, expect, it } from 'vitest';
import { RopeOp, ropeTuningSpace } from '../src/ops/rope/rope.ts';
import { defaultIndex } from '../src/ops/shared/tuning-space.ts';
import {
  candidateSample,
  expectClose,
  freshSeed,
  randomF32,
  readF32,
  seededRandom,
  testKernelContext,
  uploadBuffer,
} from '../src/testing/index.ts';
import { refRope, ropeTolerance } from './rope-reference.ts';

describe('RoPE on SwiftShader', () => {
  const seed = freshSeed();
  const configs = candidateSample(ropeTuningSpace.candidates, 3, seed, defaultIndex(ropeTuningSpace));

  const cases = [
    { rows: 1, nHeads: 1, headDim: 16, neox: false, base: 10000, maxPos: 64 },
    { rows: 5, nHeads: 3, headDim: 64, neox: true, base: 1e6, maxPos: 4096 },
    { rows: 19, nHeads: 7, headDim: 128, neox: false, base: 500000, scale: 4, maxPos: 4096 },
    // Phi-4-mini's shape of rotation: NeoX on part of the head, with LongRoPE's attn_factor.
    { rows: 5, nHeads: 2, headDim: 80, neox: true, base: 10000, nRot: 48, maxPos: 64, magnitude: 1.19 },
    { rows: 19, nHeads: 2, headDim: 32, neox: false, base: 10000, nRot: 24, scale: 2, maxPos: 64 },
  ];

  it('rotates q and k heads of a fused qkv row in place: normal and NeoX pairing, base, linear scale, partial rotary, attn_factor', async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const rand = seededRandom(seed);
    for (const config of configs) {
      const op = await RopeOp.prepare(ctx, { config });
      for (const c of cases) {
        const label = `seed ${seed} config ${JSON.stringify(config)} ${JSON.stringify(c)}`;
        const nKv = 1;
        const stride = (c.nHeads + 2 * nKv) * c.headDim + 3; // odd padding between rows
        const x = randomF32(c.rows * stride, rand);
        const positions = Uint32Array.from({ length: c.rows }, () => Math.floor(rand() * c.maxPos));
        // Row info layout (slot, position) pairs, read with posStride 2 / posOffset 1.
        const rowInfo = new Uint32Array(c.rows * 2);
        positions.forEach((p, r) => {
          rowInfo[2 * r] = 99;
          rowInfo[2 * r + 1] = p;
        });
        const buf = uploadBuffer(device, x);
        const enc = device.createCommandEncoder();
        const rope = { neox: c.neox, base: c.base, scale: c.scale, nRot: c.nRot, magnitude: c.magnitude };
        op.encode(enc, {
          x: buf,
          positions: uploadBuffer(device, rowInfo),
          posStride: 2,
          posOffset: 1,
          rows: c.rows,
          nHeads: c.nHeads + nKv,
          headDim: c.headDim,
          rowStride: stride,
          rope,
        });
        device.queue.submit([enc.finish()]);
        const ref = Float64Array.from(x);
        refRope(ref, c.rows, stride, 0, c.nHeads + nKv, c.headDim, positions, rope);
        const got = await readF32(device, buf);
        expectClose(got, ref, ropeTolerance(c.maxPos), `rope ${label}`);
        // v heads and the unrotated tail are copied bit for bit.
        for (let r = 0; r < c.rows; r++)
          for (let i = (c.nHeads + nKv) * c.headDim; i < stride; i++)
            expect(got[r * stride + i]).toBe(x[r * stride + i]);
      }
    }
  });

  it('divides frequencies by per-pair factors (Llama 3.1 rope_freqs)', async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const rand = seededRandom(seed ^ 0x777);
    const op = await RopeOp.prepare(ctx, { freqFactors: true });
    const [rows, nHeads, headDim] = [5, 4, 64];
    const factors = randomF32(headDim / 2, rand, 1, 8);
    const x = randomF32(rows * nHeads * headDim, rand);
    const positions = Uint32Array.from({ length: rows }, () => Math.floor(rand() * 60));
    const buf = uploadBuffer(device, x);
    const rope = { neox: false, base: 500000, freqFactors: uploadBuffer(device, factors) };
    const enc = device.createCommandEncoder();
    op.encode(enc, { x: buf, positions: uploadBuffer(device, positions), rows, nHeads, headDim, rope });
    device.queue.submit([enc.finish()]);
    const ref = Float64Array.from(x);
    refRope(ref, rows, nHeads * headDim, 0, nHeads, headDim, positions, { ...rope, freqFactors: factors });
    expectClose(await readF32(device, buf), ref, ropeTolerance(60), `rope freq factors seed ${seed}`);
  });
});
