// CPU-backend kernel tuning: a first load times the model's matmul shapes and stores the
// winners under this CPU's identity; the next load reads them all and times nothing; `cache`
// never times; `off` never reads. The winners are candidates of the shapes' tuning spaces.
import { readFile } from 'node:fs/promises';
import { MemoryTuningStore } from '@ruminate/gpu';
import { detectWasmFeatures, matmulCandidates } from '@ruminate/wasm';
import { describe, expect, it } from 'vitest';
import { standardFixture } from '../../../tools/fixtures/standard-fixtures.ts';
import { applyWasmTuning } from '../src/engine/wasm-tuning.ts';
import { memorySource } from '../src/gguf/memory-source.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import { readHparams } from '../src/model/hparams.ts';
import { WasmKernels } from '../src/model/wasm/wasm-kernels.ts';
import { modelTensors } from '../src/model/wasm/wasm-tensors.ts';

async function kernelsOf(name: 'llama-q4_0') {
  const path = await standardFixture(name);
  const header = await parseGguf(memorySource(new Uint8Array(await readFile(path)), path));
  const hp = readHparams(header.metadata, (n) => header.tensors.find((t) => t.name === n)?.dims);
  const features = detectWasmFeatures();
  return {
    kernels: new WasmKernels(hp, { relaxedSimd: features.relaxedSimd }),
    tensors: modelTensors(hp, header.tensors),
    features,
  };
}

describe('wasm kernel tuning', () => {
  it('times at the first load, reads the cache at the next, and keeps winners inside the space', async () => {
    const store = new MemoryTuningStore();
    const a = await kernelsOf('llama-q4_0');
    const problems = a.kernels.matmulProblems(a.tensors);
    const first = await applyWasmTuning(a.kernels, a.tensors, a.features, {
      mode: 'background',
      store,
      budgetMs: 60_000,
    });
    expect(first).toMatchObject({ cached: 0, timed: problems.length, untuned: 0 });
    const records = await store.load();
    expect(Object.keys(records)).toHaveLength(problems.length);
    for (const p of problems) {
      const key = Object.keys(records).find((k) =>
        k.endsWith(`|${p.type}|${p.k}x${p.n}|m${p.m === 1 ? 1 : 'n'}`),
      );
      expect(key, `record of ${p.k}x${p.n} m${p.m}`).toBeDefined();
      const c = records[key as string]!.config.constants;
      const chosen = {
        rowTiles: c.rowTiles,
        actTile: c.actTile,
        relaxed: c.relaxed === 1,
        blockBytes: c.blockBytes,
      };
      expect(matmulCandidates(p, a.features.relaxedSimd)).toContainEqual(chosen);
    }
    const b = await kernelsOf('llama-q4_0');
    const second = await applyWasmTuning(b.kernels, b.tensors, b.features, { mode: 'background', store });
    expect(second).toMatchObject({ cached: problems.length, timed: 0, untuned: 0 });
  });

  it('cache mode never times and off mode never reads', async () => {
    const store = new MemoryTuningStore();
    const a = await kernelsOf('llama-q4_0');
    const n = a.kernels.matmulProblems(a.tensors).length;
    expect(await applyWasmTuning(a.kernels, a.tensors, a.features, { mode: 'cache', store })).toMatchObject({
      cached: 0,
      timed: 0,
      untuned: n,
    });
    expect(Object.keys(await store.load())).toHaveLength(0);
    await applyWasmTuning(a.kernels, a.tensors, a.features, { mode: 'background', store, budgetMs: 60_000 });
    expect(await applyWasmTuning(a.kernels, a.tensors, a.features, { mode: 'off', store })).toMatchObject({
      cached: 0,
      timed: 0,
    });
  });
});
