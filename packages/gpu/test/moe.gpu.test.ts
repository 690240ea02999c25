import { describe, expect, it } from 'vitest';
import type { KernelContext } from '../src/ops/context.ts';
import { ExpertMatmulOp, expertMatmulTuningSpace, MoeCombineOp } from '../src/ops/moe/expert-matmul.ts';
import { MoeGatingOp, moeGatingTuningSpace } from '../src/ops/moe/moe-gating.ts';
import { expertMatmulReference, moeGroupReference, moeRouteReference } from '../src/ops/moe/moe-reference.ts';
import { moeTunable } from '../src/ops/moe/tunable.ts';
import { defaultIndex } from '../src/ops/shared/tuning-space.ts';
import { type GgmlTypeName, ggmlRowBytes, ggmlType } from '../src/quant/ggml-types.ts';
import { quantize } from '../src/quant/index.ts';
import {
  candidateSample,
  expectClose,
  freshSeed,
  POISON_BITS,
  poisonedBuffer,
  randomF32,
  readBuffer,
  readF32,
  seededRandom,
  testKernelContext,
  uploadBuffer,
} from '../src/testing/index.ts';

const SEED = freshSeed();
const tag = `(RUMINATE_TEST_SEED=${SEED})`;

// Softmax weights in f32 (exp, one division) against float64: ~1e-7 relative.
const WEIGHT_TOL = { atol: 1e-6, rtol: 1e-5 };
// f32 dot products of k ≤ 256 terms of O(1) values (dequantized weights are exact in f32):
// accumulated rounding ~k·6e-8·|terms|, far below 2e-4; a wrong expert or slot is off by O(1).
const DOT_TOL = { atol: 2e-4, rtol: 1e-4 };

async function route(
  ctx: KernelContext,
  op: MoeGatingOp,
  router: Float32Array,
  rows: number,
  experts: number,
  topk: number,
  normalize: boolean,
  scale = 1,
) {
  const { device } = ctx;
  const selected = poisonedBuffer(device, rows * topk * 4);
  const weights = poisonedBuffer(device, rows * topk * 4);
  const groups = poisonedBuffer(device, MoeGatingOp.groupsWords(rows, experts, topk) * 4);
  const enc = device.createCommandEncoder();
  op.encode(enc, {
    router: uploadBuffer(device, router),
    selected,
    weights,
    groups,
    rows,
    experts,
    topk,
    normalize,
    scale,
  });
  device.queue.submit([enc.finish()]);
  return {
    selectedBuf: selected,
    weightsBuf: weights,
    groupsBuf: groups,
    selected: new Uint32Array(await readBuffer(device, selected)),
    weights: await readF32(device, weights),
    groups: new Uint32Array(await readBuffer(device, groups)),
  };
}

describe('MoE gating on SwiftShader', () => {
  it('routes to the top-k experts with llama.cpp weights (mixtral and qwen2moe normalisation) and groups rows', async () => {
    const ctx = await testKernelContext();
    const rand = seededRandom(SEED);
    const configs = candidateSample(
      moeGatingTuningSpace.candidates,
      4,
      SEED,
      defaultIndex(moeGatingTuningSpace),
    );
    const cases: [number, number, number, boolean, number][] = [
      [13, 64, 8, true, 1],
      [13, 64, 8, false, 1],
      [1, 128, 2, true, 1],
      [37, 4, 2, false, 2.5],
      [70, 60, 4, true, 1],
    ];
    for (const config of configs) {
      const op = await MoeGatingOp.prepare(ctx, { config });
      for (const [rows, experts, topk, normalize, scale] of cases) {
        const label = `${tag} config ${JSON.stringify(config)} ${rows} rows, ${experts} experts, top-${topk}, normalize ${normalize}`;
        const router = randomF32(rows * experts, rand, -3, 3);
        const got = await route(ctx, op, router, rows, experts, topk, normalize, scale);
        const ref = moeRouteReference(router, rows, experts, topk, normalize, scale);
        expect(Array.from(got.selected), label).toEqual(Array.from(ref.selected));
        expectClose(got.weights, ref.weights, WEIGHT_TOL, `${label} weights`);
        expect(Array.from(got.groups), label).toEqual(Array.from(moeGroupReference(ref.selected, experts)));
        if (normalize) {
          for (let r = 0; r < rows; r++) {
            let s = 0;
            for (let q = 0; q < topk; q++) s += got.weights[r * topk + q] as number;
            expect(Math.abs(s - scale), label).toBeLessThan(1e-5);
          }
        }
      }
    }
  });

  it('rejects shapes it cannot route', async () => {
    const ctx = await testKernelContext();
    const op = await MoeGatingOp.prepare(ctx);
    const b = poisonedBuffer(ctx.device, 4096);
    const enc = ctx.device.createCommandEncoder();
    const args = { router: b, selected: b, weights: b, groups: b, rows: 1, experts: 4, normalize: true };
    expect(() => op.encode(enc, { ...args, topk: 9 })).toThrow(/topk/);
    expect(() => op.encode(enc, { ...args, topk: 2, experts: 300 })).toThrow(/experts/);
  });
});

/** Random expert tensor `[experts][n][k]` quantized to `dtype`, plus its bytes placed at a 256-byte offset. */
function expertTensor(
  ctx: KernelContext,
  dtype: GgmlTypeName,
  experts: number,
  n: number,
  k: number,
  rand: () => number,
) {
  const values = randomF32(experts * n * k, rand, -1, 1);
  const bytes = quantize(dtype, values);
  const offset = 256;
  const padded = new Uint8Array(offset + bytes.length + 4);
  padded.fill(0xff); // NaN-ish garbage outside the slice
  padded.set(bytes, offset);
  const buffer = uploadBuffer(ctx.device, padded);
  const size = ggmlRowBytes(ggmlType(dtype), k) * n * experts;
  return { bytes, slice: { buffer, offset, size, dtype, experts, rows: n, cols: k } };
}

describe('MoE expert matmul on SwiftShader', () => {
  const configs = candidateSample(
    expertMatmulTuningSpace.candidates,
    4,
    SEED,
    defaultIndex(expertMatmulTuningSpace),
  );

  it('computes gate/up (shared input) and down (per-slot input) for 64 experts top-8 across candidates, f32', async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const rand = seededRandom(SEED ^ 0x3e);
    const gating = await MoeGatingOp.prepare(ctx);
    const combine = await MoeCombineOp.prepare(ctx);
    const [experts, topk, rows, n, k] = [64, 8, 5, 37, 40];
    const router = randomF32(rows * experts, rand, -2, 2);
    const routed = await route(ctx, gating, router, rows, experts, topk, true);
    const values = randomF32(experts * n * k, rand, -1, 1);
    // Unselected experts hold NaN: any read of them would poison the result.
    const used = new Set(routed.selected);
    for (let e = 0; e < experts; e++) if (!used.has(e)) values.fill(Number.NaN, e * n * k, (e + 1) * n * k);
    const wBytes = new Uint8Array(values.buffer);
    const weights = {
      buffer: uploadBuffer(device, values),
      offset: 0,
      size: values.byteLength,
      dtype: 'f32' as const,
      experts,
      rows: n,
      cols: k,
    };
    const xShared = randomF32(rows * k, rand, -1, 1);
    const xSlots = randomF32(rows * topk * k, rand, -1, 1);
    for (const config of configs) {
      const label = `${tag} config ${JSON.stringify(config)}`;
      const op = await ExpertMatmulOp.prepare(ctx, { dtype: 'f32', config });
      const yShared = poisonedBuffer(device, rows * topk * n * 4);
      const ySlots = poisonedBuffer(device, rows * topk * n * 4);
      const enc = device.createCommandEncoder();
      op.encode(enc, {
        weights,
        x: uploadBuffer(device, xShared),
        groups: routed.groupsBuf,
        y: yShared,
        rows,
        topk,
      });
      op.encode(enc, {
        weights,
        x: uploadBuffer(device, xSlots),
        groups: routed.groupsBuf,
        y: ySlots,
        rows,
        topk,
        xRowStride: topk * k,
        xSlotStride: k,
      });
      device.queue.submit([enc.finish()]);
      const refShared = expertMatmulReference(wBytes, 'f32', experts, n, k, xShared, routed.selected, topk);
      const refSlots = expertMatmulReference(
        wBytes,
        'f32',
        experts,
        n,
        k,
        xSlots,
        routed.selected,
        topk,
        topk * k,
        k,
      );
      expectClose(await readF32(device, yShared), refShared, DOT_TOL, `${label} shared input`);
      expectClose(await readF32(device, ySlots), refSlots, DOT_TOL, `${label} per-slot input`);
      if (config === configs[0]) {
        // Weighted combine, stored and accumulated into a residual.
        const acc = await MoeCombineOp.prepare(ctx, { accumulate: true });
        const out = poisonedBuffer(device, rows * n * 4);
        const resid = randomF32(rows * n, rand, -1, 1);
        const residBuf = uploadBuffer(device, resid);
        const e2 = device.createCommandEncoder();
        combine.encode(e2, { y: ySlots, weights: routed.weightsBuf, out, rows, n, topk });
        acc.encode(e2, { y: ySlots, weights: routed.weightsBuf, out: residBuf, rows, n, topk });
        device.queue.submit([e2.finish()]);
        const w = routed.weights;
        const expected = new Float64Array(rows * n);
        for (let r = 0; r < rows; r++)
          for (let j = 0; j < n; j++)
            for (let q = 0; q < topk; q++)
              expected[r * n + j] =
                (expected[r * n + j] as number) +
                (w[r * topk + q] as number) * (refSlots[(r * topk + q) * n + j] as number);
        expectClose(await readF32(device, out), expected, DOT_TOL, `${label} combine`);
        expectClose(
          await readF32(device, residBuf),
          expected.map((v, i) => v + (resid[i] as number)),
          DOT_TOL,
          `${label} combine +=`,
        );
      }
    }
  });

  it('dequantizes GGUF expert tensors in-kernel (q8_0, q4_0, q4_k, q6_k, f16) with odd row counts', async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const rand = seededRandom(SEED ^ 0x71);
    const gating = await MoeGatingOp.prepare(ctx);
    const dtypes: [GgmlTypeName, number][] = [
      ['q8_0', 96],
      ['q4_0', 64],
      ['q4_k', 256],
      ['q6_k', 256],
      ['f16', 48],
    ];
    for (const [dtype, k] of dtypes) {
      const [experts, topk, rows, n] = [16, 4, 3, 21];
      const label = `${tag} ${dtype} k ${k}`;
      const router = randomF32(rows * experts, rand, -2, 2);
      const routed = await route(ctx, gating, router, rows, experts, topk, false);
      const { bytes, slice } = expertTensor(ctx, dtype, experts, n, k, rand);
      const x = randomF32(rows * k, rand, -1, 1);
      const op = await ExpertMatmulOp.prepare(ctx, { dtype });
      const y = poisonedBuffer(device, rows * topk * n * 4);
      const enc = device.createCommandEncoder();
      op.encode(enc, { weights: slice, x: uploadBuffer(device, x), groups: routed.groupsBuf, y, rows, topk });
      device.queue.submit([enc.finish()]);
      const got = await readF32(device, y);
      expect(
        new Uint32Array(got.buffer).every((w) => w !== POISON_BITS),
        label,
      ).toBe(true);
      const ref = expertMatmulReference(bytes, dtype, experts, n, k, x, routed.selected, topk);
      expectClose(got, ref, DOT_TOL, label);
      // The same tensor bound as two expert ranges (as when it exceeds one storage binding).
      const half = experts / 2;
      const partBytes = slice.size / 2;
      const split = poisonedBuffer(device, rows * topk * n * 4);
      const xBuf = uploadBuffer(device, x);
      const enc2 = device.createCommandEncoder();
      for (const part of [0, 1]) {
        // A binding must start 256-byte aligned: start at or before the range, point into it.
        const start = slice.offset + part * partBytes;
        const offset = Math.floor(start / 256) * 256;
        const expertByteOffset = start - offset;
        const weights = {
          ...slice,
          offset,
          size: Math.ceil((expertByteOffset + partBytes) / 4) * 4,
          experts: half,
          firstExpert: part * half,
          expertByteOffset,
        };
        op.encode(enc2, {
          weights,
          x: xBuf,
          groups: routed.groupsBuf,
          y: split,
          rows,
          topk,
          routedExperts: experts,
        });
      }
      device.queue.submit([enc2.finish()]);
      expectClose(await readF32(device, split), ref, DOT_TOL, `${label} split in two bindings`);
    }
  });

  it('exposes gating + expert matmul to the tuner on a model-shaped problem (64 experts, top-8)', async () => {
    const ctx = await testKernelContext();
    const t = await moeTunable(ctx, { rows: 3, experts: 64, topk: 8, n: 24, k: 64, dtype: 'q8_0' });
    expect(t.candidates.length).toBeGreaterThanOrEqual(8);
    const config = t.candidates[t.defaultIndex];
    if (!config) throw new Error('no default candidate');
    await t.prepare(config);
    ctx.device.pushErrorScope('validation');
    const enc = ctx.device.createCommandEncoder();
    t.encode(enc, config);
    ctx.device.queue.submit([enc.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    expect(await ctx.device.popErrorScope()).toBeNull();
    expect(t.work.bytes).toBeGreaterThan(0);
    t.dispose?.();
  });
});
