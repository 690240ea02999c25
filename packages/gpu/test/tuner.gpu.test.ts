import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineCache } from '../src/jit/pipeline-cache.ts';
import type { KernelConfig } from '../src/ops/context.ts';
import { testDevice } from '../src/testing/index.ts';
import { FileTuningStore } from '../src/tuner/store-node.ts';
import type { Tunable } from '../src/tuner/tunable.ts';
import { Tuner } from '../src/tuner/tuner.ts';

// A toy op with a real tuning space: each invocation sums PER_THREAD elements.
const SOURCE = `
override WG: u32 = 64;
override PER_THREAD: u32 = 1;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(WG) fn main(@builtin(global_invocation_id) g: vec3u) {
  let n = arrayLength(&x);
  var acc = 0.0;
  for (var i = 0u; i < PER_THREAD; i++) {
    let j = g.x * PER_THREAD + i;
    if (j < n) { acc += x[j] * x[j]; }
  }
  if (g.x < arrayLength(&y)) { y[g.x] = acc; }
}`;

async function toyTunable(bucket: string): Promise<Tunable> {
  const { device } = await testDevice();
  const cache = new PipelineCache(device);
  const n = 1 << 18;
  const x = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE });
  const y = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE });
  const candidates: KernelConfig[] = [];
  for (const WG of [32, 64, 128])
    for (const PER_THREAD of [1, 4, 16]) candidates.push({ constants: { WG, PER_THREAD } });
  const pipelines = new Map<KernelConfig, GPUComputePipeline>();
  return {
    op: 'test/sumsq',
    bucket,
    candidates,
    defaultIndex: 1,
    work: { flops: 2 * n, bytes: 4 * n },
    async prepare(config) {
      pipelines.set(
        config,
        (await cache.get({ name: 'test/sumsq', source: SOURCE, constants: config.constants })).pipeline,
      );
    },
    encode(encoder, config) {
      const pipeline = pipelines.get(config) as GPUComputePipeline;
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(
        0,
        device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: x } },
            { binding: 1, resource: { buffer: y } },
          ],
        }),
      );
      const threads = Math.ceil(n / (config.constants.PER_THREAD as number));
      pass.dispatchWorkgroups(Math.ceil(threads / (config.constants.WG as number)));
      pass.end();
    },
  };
}

describe('Tuner', () => {
  it('times every candidate, keeps the fastest, persists it, and reuses it with no tuning time', async () => {
    const { device } = await testDevice();
    const file = join(mkdtempSync(join(tmpdir(), 'ruminate-tune-')), 'tuning.json');
    const tuner = await Tuner.open(device, 'test-device', new FileTuningStore(file));
    const t = await toyTunable('n262144');
    const report = await tuner.tune([t], { budgetMs: 120_000, reps: 3 });
    const [r] = report.results;
    expect(report.timer).toBe('timestamp');
    expect(r?.timed).toBe(9);
    expect(r?.cached).toBe(false);
    expect(r?.ms).toBeLessThanOrEqual(r?.defaultMs as number);
    expect(tuner.lookup('test/sumsq', 'n262144')).toEqual(r?.winner);

    const again = await Tuner.open(device, 'test-device', new FileTuningStore(file));
    const second = await again.tune([t], { budgetMs: 120_000 });
    expect(second.results[0]?.cached).toBe(true);
    expect(second.results[0]?.tuneMs).toBe(0);
    expect(second.results[0]?.winner).toEqual(r?.winner);

    // Another device identity does not see these winners.
    const other = await Tuner.open(device, 'other-device', new FileTuningStore(file));
    expect(other.lookup('test/sumsq', 'n262144')).toBeUndefined();
  });

  it('stops at the budget: the first op times its default only, later ones wait for a later call', async () => {
    const { device } = await testDevice();
    const file = join(mkdtempSync(join(tmpdir(), 'ruminate-tune-')), 'tuning.json');
    const tuner = await Tuner.open(device, 'test-device', new FileTuningStore(file));
    const tunables = [await toyTunable('a'), await toyTunable('b')];
    const report = await tuner.tune(tunables, { budgetMs: 0, timer: 'wall' });
    expect(report.timer).toBe('wall');
    expect(report.results.map((r) => r.timed)).toEqual([1, 0]);
    report.results.forEach((r, i) => {
      const t = tunables[i] as Tunable;
      expect(r.winner).toEqual(t.candidates[t.defaultIndex]);
    });
    expect(tuner.lookup('test/sumsq', 'b')).toBeUndefined();
    // A later call with budget left skips what is cached and tunes the rest.
    const later = await tuner.tune(tunables, { budgetMs: 60_000, reps: 1, timer: 'wall' });
    expect(later.results.map((r) => r.cached)).toEqual([true, false]);
    expect(later.results[1]?.timed).toBe(9);
    // A stopped tuning (the engine unloads) times nothing more.
    const stop = new AbortController();
    stop.abort();
    const stopped = await tuner.tune([await toyTunable('c')], { budgetMs: 60_000, signal: stop.signal });
    expect(stopped.results.map((r) => r.timed)).toEqual([0]);
    expect(tuner.lookup('test/sumsq', 'c')).toBeUndefined();
  });
});
