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
  it('defaults to 30 s on GPUs and 15 s on CPU adapters, where GEMM problems are timed on reduced sizes and GEMV ones at full size; an explicit budget wins', async () => {
    const { tuner, calls } = recordingTuner();
    await tuneModelKernels(context(false), tuner, tensors);
    await tuneModelKernels(context(true), tuner, tensors);
    await tuneModelKernels(context(true), tuner, tensors, { budgetMs: 5000 });
    expect(calls.map((c) => c.budgetMs)).toEqual([30_000, CPU_ADAPTER_BUDGET_MS, 5000]);
    expect(CPU_ADAPTER_BUDGET_MS).toBe(15_000);
    // CPU adapters time GEMM problems on reduced sizes (128 × 512 × 1536 → 128 × 256 × 384) and
    // GEMV problems at full size; buckets name the full-size problem either way.
    const at = (call: number, m: number) =>
      calls[call]?.flops.find((f, i) => calls[call]?.bucket[i]?.startsWith(`m${m}-`) && f > 0);
    expect(at(0, 1)).toBe(2 * 512 * 1536);
    expect(at(1, 1)).toBe(2 * 512 * 1536);
    expect(at(0, 128)).toBe(2 * 128 * 512 * 1536);
    expect(at(1, 128)).toBe(2 * 128 * 256 * 384);
    expect(calls[1]?.bucket).toEqual(calls[0]?.bucket);
  });
});
