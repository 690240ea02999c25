// A phone-like device: storage bindings capped at 128 MiB (requestDevice capLimits). The model's
// tied embedding/output matrix is 141 MiB, so it is placed in row parts that each fit a binding,
// and the output matmul runs once per part; results still equal the float64 reference.
import { readFile } from 'node:fs/promises';
import { kernelContextFor, requestDevice } from '@ruminate/gpu';
import { describe, expect, it } from 'vitest';
import { byteLevelVocab } from '../../../tools/fixtures/byte-vocab.ts';
import { fixtureFile } from '../../../tools/fixtures/standard-fixtures.ts';
import { loadModel } from '../src/engine/load-model.ts';
import { memorySource } from '../src/gguf/memory-source.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import { readHparams } from '../src/model/hparams.ts';
import { argmax, logSoftmax, ReferenceModel } from '../src/reference/forward.ts';
import { readReferenceWeights } from '../src/reference/gguf-weights.ts';

const MiB = 2 ** 20;

describe('128 MiB storage-binding limit', () => {
  it('splits a 141 MiB tied output matrix across bindings and matches the reference', async () => {
    const path = await fixtureFile('llama-wide-vocab-f32', {
      arch: 'llama',
      seed: 701,
      weightType: 'f32',
      nLayers: 1,
      nEmbd: 4096,
      nHeads: 2,
      nKvHeads: 1,
      headDim: 128,
      nFf: 256,
      tiedEmbeddings: true,
      outputScale: 4,
      contextLength: 64,
      tokenizer: byteLevelVocab(9000).metadata,
    });
    const src = memorySource(new Uint8Array(await readFile(path)), path);
    const header = await parseGguf(src);
    const emb = header.tensors.find((t) => t.name === 'token_embd.weight')!;
    expect(emb.bytes).toBeGreaterThan(128 * MiB);

    const acquired = await requestDevice({
      capLimits: { maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 256 * MiB },
    });
    const { device, limits } = acquired;
    expect(limits.maxStorageBufferBindingSize).toBe(128 * MiB);
    const ctx = kernelContextFor(acquired);
    const gpu = await loadModel(ctx, header, src, { contextLength: 64, maxSequences: 2 });
    try {
      expect(gpu.model.tensorParts('token_embd.weight')).toBeGreaterThan(1);
      const { lookup } = await readReferenceWeights(header, src);
      const hp = readHparams(header.metadata, (n) => header.tensors.find((t) => t.name === n)?.dims);
      const ref = new ReferenceModel(hp, lookup);
      const prompt = [1, 4000, 8999, 17];
      const seq = gpu.engine.createSequence(prompt);
      let logits = ref.eval(prompt).at(-1)!;
      for (let i = 0; i < 4; i++) {
        const [r] = await gpu.engine.step([{ seq, sampling: { temperature: 0 }, want: { topLogprobs: 3 } }]);
        const lp = logSoftmax(logits);
        // f32 sums over 4096-wide rows vs float64: 5e-3 bounds the rounding of these logits.
        for (const t of r!.topLogprobs!)
          expect(Math.abs(t.logprob - (lp[t.token] as number))).toBeLessThan(5e-3);
        expect(r!.token).toBe(argmax(logits));
        logits = ref.eval([r!.token])[0]!;
      }
    } finally {
      gpu.model.destroy();
      device.destroy();
    }
  });
});
