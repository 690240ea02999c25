import { describe, expect, it } from 'vitest';
import { EmbeddingOp, embeddingTuningSpace } from '../src/ops/embedding/embedding.ts';
import { defaultIndex } from '../src/ops/shared/tuning-space.ts';
import { dequantize } from '../src/quant/dequantize.ts';
import type { GgmlTypeName } from '../src/quant/ggml-types.ts';
import { quantize } from '../src/quant/quantize.ts';
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

// The GPU applies ggml's dequantisation formulas in f32 like the CPU reference codec; at most a
// rounding of the final multiply-subtract differs: 1e-6 relative on values of magnitude ≤ 2.
const TOL = { atol: 1e-6, rtol: 1e-6 };

const TYPES: { dtype: GgmlTypeName; dim: number }[] = [
  { dtype: 'f32', dim: 40 },
  { dtype: 'f16', dim: 72 },
  { dtype: 'bf16', dim: 24 },
  { dtype: 'q8_0', dim: 96 },
  { dtype: 'q4_0', dim: 160 },
  { dtype: 'q4_1', dim: 64 },
  { dtype: 'q5_0', dim: 96 },
  { dtype: 'q4_k', dim: 256 },
  { dtype: 'q5_k', dim: 512 },
  { dtype: 'q6_k', dim: 256 },
];

describe('embedding lookup on SwiftShader', () => {
  it('dequantizes the looked-up rows of f32/f16/bf16/q8_0/q4_0/q4_1/q5_0/q4_k/q5_k/q6_k tables', async () => {
    const ctx = await testKernelContext();
    const { device } = ctx;
    const seed = freshSeed();
    const rand = seededRandom(seed);
    const configs = candidateSample(
      embeddingTuningSpace.candidates,
      3,
      seed,
      defaultIndex(embeddingTuningSpace),
    );
    for (const { dtype, dim } of TYPES) {
      const vocab = 37;
      const values = randomF32(vocab * dim, rand, -2, 2);
      const bytes = quantize(dtype, values);
      const table = dequantize(dtype, bytes, vocab * dim);
      // The table sits at a 256-byte offset inside a larger buffer, as a loaded tensor would.
      const padded = new Uint8Array(256 + bytes.length + 64);
      padded.set(bytes, 256);
      const tableBuf = uploadBuffer(device, padded);
      for (const config of configs) {
        const op = await EmbeddingOp.prepare(ctx, { dtype, config });
        for (const rows of [1, 5, 19]) {
          const label = `seed ${seed} ${dtype} config ${JSON.stringify(config)} rows ${rows}`;
          const ids = Uint32Array.from({ length: rows }, () => Math.floor(rand() * vocab));
          if (rows === 19) ids[7] = vocab + 3; // out of range: a zero row
          const outStride = dim + 5;
          const out = poisonedBuffer(device, rows * outStride * 4);
          const enc = device.createCommandEncoder();
          op.encode(enc, {
            table: { buffer: tableBuf, offset: 256, size: bytes.length, dtype, rows: vocab, cols: dim },
            ids: uploadBuffer(device, ids),
            out,
            rows,
            outStride,
          });
          device.queue.submit([enc.finish()]);
          const got = await readF32(device, out);
          for (let r = 0; r < rows; r++) {
            const id = ids[r] as number;
            const row = got.subarray(r * outStride, r * outStride + dim);
            const ref = id < vocab ? table.subarray(id * dim, (id + 1) * dim) : new Float32Array(dim);
            expectClose(row, ref, TOL, `${label} row ${r} id ${id}`);
            // The gap between rows stays poisoned.
            expect(Number.isNaN(got[r * outStride + dim])).toBe(true);
          }
        }
      }
    }
  });
});
