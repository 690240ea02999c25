import type { KernelContext, TuneReport, Tuner } from '@ruminate/gpu';
import { describe, expect, it } from 'vitest';
import { CPU_ADAPTER_BUDGET_MS, tuneModelKernels } from '../src/engine/kernel-tuning.ts';
import type { GgufTensorInfo } from '../src/gguf/types.ts';

/** A Tuner stand-in that records what it was asked to do (tunables allocate nothing until prepared). */
function recordingTuner() {
  const calls: { budgetMs?: number; bucket: string[]; flops: number[] }[] = [];
  const tuner = {
    tune: async (tunables: { bucket: string; work: { flops: number } }[], opts: { budgetMs?: number }) => {
      calls.push({
        budgetMs: opts.budgetMs,
        bucket: tunables.map((t) => t.bucket),
        flops: tunables.map((t) => t.work.flops),
      });
      return { results: [] } as unknown as TuneReport;
    },
  } as unknown as Tuner;
  return { tuner, calls };
}

const tensors = [
  { name: 'blk.0.attn_q.weight', dims: [512, 1536], type: { name: 'q4_0' } },
] as unknown as GgufTensorInfo[];

const context = (cpuAdapter: boolean) =>
  ({
    device: {} as GPUDevice,
    features: new Set<string>(),
    limits: {},
    cpuAdapter,
  }) as unknown as KernelContext;

describe('model tuning budget', () => {
  it('defaults to 30 s on GPUs and 15 s on CPU adapters, timing CPU adapters on k/4 sizes; an explicit budget wins', async () => {
    const { tuner, calls } = recordingTuner();
    await tuneModelKernels(context(false), tuner, tensors);
    await tuneModelKernels(context(true), tuner, tensors);
    await tuneModelKernels(context(true), tuner, tensors, { budgetMs: 5000 });
    expect(calls.map((c) => c.budgetMs)).toEqual([30_000, CPU_ADAPTER_BUDGET_MS, 5000]);
    expect(CPU_ADAPTER_BUDGET_MS).toBe(15_000);
    // CPU adapters time k/4 sizes (k 512 → 256 here); buckets name the full-size problem either way.
    expect(calls[0]?.flops[0]).toBe(2 * 512 * 1536);
    expect(calls[1]?.flops[0]).toBe(2 * 256 * 1536);
    expect(calls[1]?.bucket[0]).toBe(calls[0]?.bucket[0]);
  });
});
