// Background kernel tuning after a load: the shipped defaults serve while the tuner times the
// model's own matmul shapes; winners persist in the store and take over at the next step, with
// the same greedy tokens; a second engine on the same store tunes nothing.
import { MemoryTuningStore } from '@ruminate/gpu';
import { describe, expect, it } from 'vitest';
import { standardFixture } from '../../../tools/fixtures/standard-fixtures.ts';
import { RuminateEngine } from '../src/engine/ruminate-engine.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import { openFileSource } from '../src/loading/file-source.ts';
import { modelMatmulProblems } from '../src/model/matmul-problems.ts';

async function greedy(engine: RuminateEngine, prompt: number[], n: number): Promise<number[]> {
  const seq = await engine.createSequence(prompt);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const [r] = await engine.step([{ seq, sampling: { temperature: 0 } }]);
    if (!r) throw new Error('step returned no result');
    out.push(r.token);
  }
  await engine.free(seq);
  return out;
}

describe('background kernel tuning', () => {
  it('tunes the loaded model’s shapes while defaults serve, persists winners, and a second load reuses them and continues', async () => {
    const path = await standardFixture('llama-q4_0');
    const store = new MemoryTuningStore();
    const progress: number[] = [];
    // The WebGPU path's tuner (on this CPU adapter `auto` would pick the wasm backend).
    const engine = new RuminateEngine({
      backend: 'webgpu',
      tuningStore: store,
      tuningBudgetMs: 8_000,
      onTuningProgress: (p) => progress.push(p.done),
      maxSequences: 4,
    });
    await engine.load({ path }, { contextLength: 64 });
    const prompt = [5, 17, 42, 99, 3, 250, 7];
    // Steps run (on the shipped defaults) while tuning is under way.
    const during = await greedy(engine, prompt, 6);
    const report = await engine.whenTuned();
    if (!report) throw new Error('no background tuning ran');
    const source = await openFileSource(path);
    const expected = modelMatmulProblems((await parseGguf(source)).tensors).length;
    await source.close?.();
    expect(report.results).toHaveLength(expected);
    // Decode shapes first; whatever the budget did not reach waits for the next load (timed 0).
    expect(report.results[0]?.timed).toBeGreaterThanOrEqual(1);
    expect(report.results.every((r) => !r.cached)).toBe(true);
    const timed = report.results.filter((r) => r.timed > 0).length;
    expect(progress.length).toBeGreaterThan(0);
    expect(Object.keys(await store.load())).toHaveLength(timed);
    // The winners serve now; this fixture's logits are peaked, so greedy tokens do not move.
    const after = await greedy(engine, prompt, 6);
    expect(after).toEqual(during);
    await engine.unload();

    const again = new RuminateEngine({
      backend: 'webgpu',
      tuningStore: store,
      tuningBudgetMs: 8_000,
      maxSequences: 4,
    });
    await again.load({ path }, { contextLength: 64 });
    const second = await again.whenTuned();
    // What the first load tuned is reused with no tuning time; the rest is tuned now.
    expect(second?.results.filter((r) => r.cached)).toHaveLength(timed);
    expect(second?.results.every((r) => !r.cached || r.tuneMs === 0)).toBe(true);
    expect(await greedy(again, prompt, 6)).toEqual(during);
    await again.unload();
  });

  it('runs no tuning with tuning: cache', async () => {
    const path = await standardFixture('llama-q4_0');
    const engine = new RuminateEngine({
      backend: 'webgpu',
      tuning: 'cache',
      tuningStore: new MemoryTuningStore(),
      maxSequences: 2,
    });
    await engine.load({ path }, { contextLength: 32 });
    expect(await engine.whenTuned()).toBeUndefined();
    await engine.unload();
  });
});
