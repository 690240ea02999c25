import { describe, expect, it } from 'vitest';
import { AddOp, addTuningSpace } from '../src/ops/elementwise/add.ts';
import { SiluMulOp, siluMulTuningSpace } from '../src/ops/elementwise/silu-mul.ts';
import { SoftcapOp } from '../src/ops/elementwise/softcap.ts';
import { defaultIndex } from '../src/ops/shared/tuning-space.ts';
import { roundToF16 } from '../src/quant/half.ts';
import {
  candidateSample,
  expectClose,
  freshSeed,
  poisonedBuffer,
  randomF32,
  readF32,
  seededRandom,
  testKernelContext,
  uploadBuffer,
} from '../src/testing/index.ts';

// One f32 add or one f32 exp + divide + multiply per value: a few ulps of f32.
const TOL = { atol: 1e-6, rtol: 1e-5 };

describe('elementwise ops on SwiftShader', () => {
  it('residual add, in place and out of place, and bias add broadcast over rows', async () => {
    const ctx = await testKernelContext();
    const seed = freshSeed();
    const rand = seededRandom(seed);
    const configs = candidateSample(addTuningSpace.candidates, 4, seed, defaultIndex(addTuningSpace));
    for (const config of configs) {
      for (const [rows, cols] of [
        [1, 7],
        [5, 333],
        [19, 1001],
      ] as const) {
        const n = rows * cols;
        const a = randomF32(n, rand, -4, 4);
        const b = randomF32(n, rand, -4, 4);
        const bias = randomF32(cols, rand, -4, 4);
        const label = `seed ${seed} config ${JSON.stringify(config)} ${rows}×${cols}`;
        const { device } = ctx;

        const out = await AddOp.prepare(ctx, { config });
        const inPlace = await AddOp.prepare(ctx, { inPlace: true, config });
        const aBuf = uploadBuffer(device, a);
        const bBuf = uploadBuffer(device, b);
        const biasBuf = uploadBuffer(device, bias);
        const outBuf = poisonedBuffer(device, n * 4 + 64);
        const inBuf = uploadBuffer(device, a);
        const enc = device.createCommandEncoder();
        out.encode(enc, { a: aBuf, b: bBuf, out: outBuf, n });
        inPlace.encode(enc, { a: inBuf, b: biasBuf, n, bLen: cols });
        device.queue.submit([enc.finish()]);

        const sum = Array.from(a, (v, i) => v + (b[i] as number));
        const biased = Array.from(a, (v, i) => v + (bias[i % cols] as number));
        const got = await readF32(device, outBuf, 0, n + 16);
        expectClose(got, sum, TOL, `add ${label}`);
        // Past n the poison must survive: the kernel writes exactly n values.
        for (let i = n; i < n + 16; i++) expect(Number.isNaN(got[i])).toBe(true);
        expectClose(await readF32(device, inBuf, 0, n), biased, TOL, `bias add ${label}`);
      }
    }
  });

  it('sigmoid-gated add: out = a + sigmoid(g_row)·b, in place and out of place (qwen2moe shared expert)', async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const seed = freshSeed();
    const rand = seededRandom(seed);
    for (const config of candidateSample(addTuningSpace.candidates, 2, seed, defaultIndex(addTuningSpace))) {
      const out = await AddOp.prepare(ctx, { gated: true, config });
      const inPlace = await AddOp.prepare(ctx, { gated: true, inPlace: true, config });
      for (const [rows, cols] of [
        [1, 7],
        [5, 333],
        [19, 100],
      ] as const) {
        const label = `seed ${seed} config ${JSON.stringify(config)} ${rows}×${cols}`;
        const n = rows * cols;
        const a = randomF32(n, rand, -4, 4);
        const b = randomF32(n, rand, -4, 4);
        // Gate logits at stride 3, offset 2 (a column of a router output), some far in the tails.
        const gate = randomF32(rows * 3 + 2, rand, -30, 30);
        const sig = (r: number) => 1 / (1 + Math.exp(-(gate[r * 3 + 2] as number)));
        const ref = Array.from(a, (v, i) => v + sig(Math.floor(i / cols)) * (b[i] as number));
        const gBuf = uploadBuffer(device, gate);
        const outBuf = poisonedBuffer(device, n * 4);
        const inBuf = uploadBuffer(device, a);
        const enc = device.createCommandEncoder();
        const common = {
          b: uploadBuffer(device, b),
          n,
          gate: gBuf,
          rowLen: cols,
          gateStride: 3,
          gateOffset: 2,
        };
        out.encode(enc, { ...common, a: uploadBuffer(device, a), out: outBuf });
        inPlace.encode(enc, { ...common, a: inBuf });
        device.queue.submit([enc.finish()]);
        expectClose(await readF32(device, outBuf), ref, TOL, `gated add ${label}`);
        expectClose(await readF32(device, inBuf), ref, TOL, `in-place gated add ${label}`);
      }
    }
  });

  it('silu(gate)·up from separate buffers and from one fused gate|up buffer', async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const seed = freshSeed();
    const rand = seededRandom(seed);
    const configs = candidateSample(siluMulTuningSpace.candidates, 4, seed, defaultIndex(siluMulTuningSpace));
    for (const config of configs) {
      const op = await SiluMulOp.prepare(ctx, { config });
      for (const [rows, cols] of [
        [1, 9],
        [5, 257],
        [19, 700],
      ] as const) {
        const label = `seed ${seed} config ${JSON.stringify(config)} ${rows}×${cols}`;
        const fused = randomF32(rows * 2 * cols, rand, -12, 12);
        const gate = randomF32(rows * cols, rand, -12, 12);
        const up = randomF32(rows * cols, rand, -3, 3);
        const silu = (x: number) => x / (1 + Math.exp(-x));
        const refSep = Array.from(gate, (g, i) => silu(g) * (up[i] as number));
        const refFused: number[] = [];
        for (let r = 0; r < rows; r++)
          for (let c = 0; c < cols; c++)
            refFused.push(
              silu(fused[r * 2 * cols + c] as number) * (fused[r * 2 * cols + cols + c] as number),
            );
        const fusedBuf = uploadBuffer(device, fused);
        const outSep = poisonedBuffer(device, rows * cols * 4);
        const outFused = poisonedBuffer(device, rows * cols * 4);
        const enc = device.createCommandEncoder();
        op.encode(enc, {
          gate: uploadBuffer(device, gate),
          up: uploadBuffer(device, up),
          out: outSep,
          rows,
          cols,
        });
        op.encode(enc, {
          gate: fusedBuf,
          up: fusedBuf,
          out: outFused,
          rows,
          cols,
          gateStride: 2 * cols,
          upStride: 2 * cols,
          upOffset: cols,
        });
        device.queue.submit([enc.finish()]);
        expectClose(await readF32(device, outSep), refSep, TOL, `silu-mul ${label}`);
        expectClose(await readF32(device, outFused), refFused, TOL, `fused silu-mul ${label}`);
      }
    }
  });

  it("GeGLU: ggml's f16 GELU table (gate and result rounded to f16), all but tie-crossings exact", async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const seed = freshSeed();
    const rand = seededRandom(seed);
    const op = await SiluMulOp.prepare(ctx, { act: 'gelu' });
    const [rows, cols] = [7, 301];
    const gate = randomF32(rows * cols, rand, -14, 14);
    gate[0] = -50;
    gate[1] = 12;
    const up = randomF32(rows * cols, rand, -3, 3);
    const gelu = (x: number) => {
      if (x <= -10) return 0;
      if (x >= 10) return x;
      const h = roundToF16(x);
      return roundToF16(0.5 * h * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * h * (1 + 0.044715 * h * h))));
    };
    const out = poisonedBuffer(device, rows * cols * 4);
    const enc = device.createCommandEncoder();
    op.encode(enc, { gate: uploadBuffer(device, gate), up: uploadBuffer(device, up), out, rows, cols });
    device.queue.submit([enc.finish()]);
    const got = await readF32(device, out);
    let exact = 0;
    for (let i = 0; i < got.length; i++) {
      const want = gelu(gate[i] as number) * (up[i] as number);
      const err = Math.abs((got[i] as number) - want);
      if (err <= 1e-6 * Math.abs(want) + 1e-7) exact++;
      // Elsewhere one f16 step of gelu (2^−10 relative), or an f16 subnormal flushed to 0.
      expect(err, `seed ${seed} gelu(${gate[i]})`).toBeLessThanOrEqual(
        2 ** -10 * Math.abs(want) + 1e-4 * Math.abs(up[i] as number),
      );
    }
    expect(exact / got.length, `seed ${seed}: share equal to the table`).toBeGreaterThan(0.95);
  });

  it('soft-cap in place: c·tanh(x/c), large values near ±c, poisoned tail untouched', async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const seed = freshSeed();
    const rand = seededRandom(seed);
    const op = await SoftcapOp.prepare(ctx);
    const n = 1037;
    const x = randomF32(n, rand, -100, 100);
    x[0] = 1e30;
    x[1] = -1e-30;
    const buf = uploadBuffer(device, Float32Array.from([...x, Number.NaN]));
    const enc = device.createCommandEncoder();
    op.encode(enc, { x: buf, n, cap: 30 });
    device.queue.submit([enc.finish()]);
    const got = await readF32(device, buf);
    expectClose(
      got.subarray(0, n),
      Array.from(x, (v) => 30 * Math.tanh(v / 30)),
      TOL,
      `seed ${seed} soft-cap`,
    );
    expect(Number.isNaN(got[n] as number)).toBe(true);
  });
});
