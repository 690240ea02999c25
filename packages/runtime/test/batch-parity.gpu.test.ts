// Batched steps equal solo runs: 16 sequences of mixed lengths stepped together (contexts longer
// than a KV page and than a prefill chunk, grouped-query heads, head dim 128) produce the same
// tokens and log-probabilities as each sequence run alone — greedy and sampled, since each
// sequence's random stream depends only on (seed, sequence, position).
import { readFile } from 'node:fs/promises';
import { freshSeed, seededRandom } from '@ruminate/gpu/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { standardFixture } from '../../../tools/fixtures/standard-fixtures.ts';
import { type LoadedModel, loadModel } from '../src/engine/load-model.ts';
import type { SamplingParams, StepResult } from '../src/engine/types.ts';
import { memorySource } from '../src/gguf/memory-source.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import { sharedKernelContext } from './engine-test-context.ts';

const loaded: LoadedModel[] = [];
afterAll(() => {
  for (const m of loaded) m.model.destroy();
});

const CHUNK = 48; // rows per forward pass: prompts up to 140 tokens need several passes
const STEPS = 4;

async function model() {
  const path = await standardFixture('llama-f32'); // 2 query heads per KV head, head dim 128
  const src = memorySource(new Uint8Array(await readFile(path)), path);
  const m = await loadModel(await sharedKernelContext(), await parseGguf(src), src, {
    contextLength: 192,
    maxSequences: 20,
    maxPassTokens: CHUNK,
  });
  loaded.push(m);
  return m;
}

describe('batched step = solo runs', () => {
  it('16 sequences of mixed lengths, greedy and sampled', async () => {
    const seed = freshSeed();
    const rand = seededRandom(seed);
    const lengths = [1, 3, 15, 16, 17, 33, 49, 70, 5, 97, 140, 2, 64, 12, 31, 120];
    const prompts = lengths.map((n) => Array.from({ length: n }, () => Math.floor(rand() * 512)));
    const sampling = (i: number): SamplingParams =>
      i % 2 === 0 ? { temperature: 0 } : { temperature: 0.9, topK: 40, seed: 1000 + i };
    const want = { topLogprobs: 3 };

    const batched = await model();
    const seqs = prompts.map((p) => batched.engine.createSequence(p));
    const together: StepResult[][] = prompts.map(() => []);
    for (let s = 0; s < STEPS; s++) {
      const res = await batched.engine.step(seqs.map((seq, i) => ({ seq, sampling: sampling(i), want })));
      for (const [i, r] of res.entries()) together[i]!.push(r);
    }

    // Solo: a separate engine (no prefix shared with the batched run); sequence ids match, so
    // the random streams match.
    const solo = await model();
    for (let i = 0; i < prompts.length; i++) {
      const seq = solo.engine.createSequence(prompts[i]!);
      expect(seq, 'same sequence id → same random stream').toBe(seqs[i]);
      for (let s = 0; s < STEPS; s++) {
        const [r] = await solo.engine.step([{ seq, sampling: sampling(i), want }]);
        const b = together[i]![s]!;
        const where = `seed ${seed}, sequence ${i} (prompt ${lengths[i]}), step ${s}`;
        expect(b.token, where).toBe(r!.token);
        // Different pass shapes pick different matmul kernels (GEMV vs tiled GEMM): f32 rounding only.
        expect(Math.abs(b.logprob - r!.logprob), where).toBeLessThan(1e-3);
        for (const [k, t] of b.topLogprobs!.entries()) expect(t.token, where).toBe(r!.topLogprobs![k]!.token);
      }
      solo.engine.free(seq);
    }
  });
});
