// Ruminate's GPU engine against llama.cpp (node-llama-cpp 3.21.1, CPU) on the project's
// random-weight fixtures with peaked logits: greedy continuations and teacher-forced top-5
// log-probabilities, for every weight type and architecture the issue lists, and for fixtures
// that leave metadata keys out or spell them as llama.cpp also accepts (issue #22).
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { KEY_FIXTURES, keyFixture } from '../../../tools/fixtures/key-fixtures.ts';
import type { ModelGgufOptions } from '../../../tools/fixtures/model-gguf.ts';
import {
  fixtureFile,
  type StandardFixture,
  standardFixture,
} from '../../../tools/fixtures/standard-fixtures.ts';
import { type LoadedModel, loadModel } from '../src/engine/load-model.ts';
import { memorySource } from '../src/gguf/memory-source.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import { sharedKernelContext } from './engine-test-context.ts';
import { disposeLlamaCpp, llamaCppGreedy } from './parity-llama-cpp.ts';
import { checkAgainstLlamaCpp, PARITY_PROMPT, PARITY_STEPS } from './parity-suite.ts';

const loaded: LoadedModel[] = [];
afterAll(async () => {
  for (const m of loaded) m.model.destroy();
  await disposeLlamaCpp();
});

/**
 * Tolerances, by what llama.cpp's CPU path does to activations:
 * - f32 weights: plain f32 math on both sides; margins below 1e-2 are left undecided.
 * - f16 weights: llama.cpp rounds activations to f16 before each matmul (~5e-4 relative).
 * - quantized weights: llama.cpp quantizes activations to 8 bits (q8_0 / q8_K) before each
 *   matmul (q8_0 blocks, q8_K for k-quants), Ruminate keeps them f32. On these peaked fixtures
 *   (logits of tens) that moves log-probabilities of the 2nd–5th tokens by up to 0.3 (q8_0,
 *   q4_0) or 0.45 (q4_k, q6_k), and once moved greedy flipped at a margin of 0.26 (q4_k): the
 *   bounds below are those measurements with headroom. That the GPU math itself is exact for
 *   these types is shown against the float64 reference (exact dequantization) in
 *   model-gpu.gpu.test.ts.
 * - q4_0 where the adapter rounds activations as llama.cpp does (`q8Activations`, CPU adapters):
 *   both sides compute the same sums; 0.06 measured on 2026-12-03 (against 0.3 with f32
 *   activations), `lpTolQ8` 0.15.
 */
const cases: { name: StandardFixture; margin: number; lpTol: number; lpTolQ8?: number; knownBug?: string }[] =
  [
    { name: 'llama-f32', margin: 1e-2, lpTol: 1e-2 },
    { name: 'llama-f16', margin: 5e-2, lpTol: 3e-2 },
    { name: 'llama-q8_0', margin: 0.25, lpTol: 0.4 },
    { name: 'llama-q4_0', margin: 0.25, lpTol: 0.4, lpTolQ8: 0.15 },
    { name: 'llama-q4_k', margin: 0.5, lpTol: 0.6 },
    { name: 'llama-q6_k', margin: 0.5, lpTol: 0.6 },
    { name: 'qwen2-f32', margin: 1e-2, lpTol: 1e-2 },
    { name: 'qwen3-f32', margin: 1e-2, lpTol: 1e-2 },
    {
      name: 'mixtral-f32', // llama with 4 experts, 2 used
      margin: 1e-2,
      lpTol: 1e-2,
    },
    {
      name: 'qwen2moe-q8_0', // 4 experts, top-2, sigmoid-gated shared expert
      margin: 0.25,
      lpTol: 0.4,
    },
    // Phi-3 (split fused projections, RoPE on 96 of 128 dims, LongRoPE long factors in f32 and
    // short ones in q4_0), Gemma 2 and 3 (GeGLU, soft-caps, post-norms, 16-token sliding windows
    // that 12 + 32 tokens pass). The Gemma fixtures' large residuals amplify llama.cpp's 8-bit
    // activations (which this backend does not round for q8_0): measured 2026-12-08 on
    // SwiftShader, gemma2-q8_0 0.22, gemma3-q8_0 0.68 (the same model on the wasm
    // backend, which rounds as llama.cpp does: 6e-6 and 0.39; against the float64 reference with
    // exact weights, model-gpu.gpu.test.ts, within 2e-3); `lpTol` 0.8 for gemma3-q8_0.
    { name: 'phi3-f32', margin: 1e-2, lpTol: 1e-2 },
    { name: 'phi3-q4_0', margin: 0.25, lpTol: 0.4, lpTolQ8: 0.15 },
    { name: 'gemma2-f32', margin: 1e-2, lpTol: 1e-2 },
    { name: 'gemma2-q8_0', margin: 0.25, lpTol: 0.4 },
    { name: 'gemma3-f32', margin: 1e-2, lpTol: 1e-2 },
    { name: 'gemma3-q8_0', margin: 0.5, lpTol: 0.8 },
  ];

describe('GPU engine vs llama.cpp', () => {
  for (const c of cases) {
    (c.knownBug ? it.fails : it)(
      `${c.name}: 32-token greedy and teacher-forced top-5 log-probabilities`,
      async () => {
        await compareWithLlamaCpp(c.name, await standardFixture(c.name), c, PARITY_STEPS);
      },
    );
  }
});

// Issue #22: metadata read as llama.cpp reads it. Per architecture, a fixture with every optional
// key, one with every optional key that can be absent left out (qwen2moe: the two expert widths,
// which fall back to feed_forward_length), and one with llama.cpp's alternative spellings
// (per-layer arrays, `rope.scale_linear`); f32, 16 steps each to keep the suite short.
describe('GPU engine vs llama.cpp on metadata variants', () => {
  for (const name of Object.keys(KEY_FIXTURES)) {
    it(`${name}: 16-token greedy and teacher-forced top-5 log-probabilities`, async () => {
      await compareWithLlamaCpp(name, await keyFixture(name), { margin: 1e-2, lpTol: 1e-2 }, 16);
    });
  }

  it('llama-optional-tensors (q/k/v, output and FFN biases, rope_freqs): 16-token greedy and top-5', async () => {
    const path = await keyFixture('llama-optional-tensors');
    await compareWithLlamaCpp('llama-optional-tensors', path, { margin: 1e-2, lpTol: 1e-2 }, 16);
  });

  it('a file with a tensor the model never reads: llama.cpp refuses it, and so does Ruminate', async () => {
    const path = await fixtureFile('llama-unused-tensor', {
      ...(KEY_FIXTURES['llama-keys-absent'] as ModelGgufOptions),
      extraTensors: [{ name: 'blk.1.ffn_extra.weight', dims: [256, 32] }],
    });
    await expect(llamaCppGreedy(path, PARITY_PROMPT, 1)).rejects.toThrow();
    const src = memorySource(new Uint8Array(await readFile(path)), path);
    const header = await parseGguf(src);
    const ctx = await sharedKernelContext();
    await expect(loadModel(ctx, header, src, { contextLength: 128, maxSequences: 2 })).rejects.toThrow(
      /blk\.1\.ffn_extra\.weight/,
    );
  });
});

/** Greedy tokens and teacher-forced top-5 log-probabilities of the GPU engine against llama.cpp's, `steps` steps. */
async function compareWithLlamaCpp(
  name: string,
  path: string,
  c: { margin: number; lpTol: number; lpTolQ8?: number },
  steps: number,
): Promise<void> {
  const src = memorySource(new Uint8Array(await readFile(path)), path);
  const ctx = await sharedKernelContext();
  const lpTol = (ctx.q8Activations ? c.lpTolQ8 : undefined) ?? c.lpTol;
  const gpu = await loadModel(ctx, await parseGguf(src), src, { contextLength: 128, maxSequences: 4 });
  loaded.push(gpu);
  const ref = await llamaCppGreedy(path, PARITY_PROMPT, steps);
  await checkAgainstLlamaCpp(name, gpu.engine, PARITY_PROMPT, ref, { margin: c.margin, lpTol });
}
