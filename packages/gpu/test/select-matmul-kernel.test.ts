// selectMatmulKernel: the one place a matmul's kernel, configuration and source are chosen. The
// facts it reads of a KernelContext (adapter class, features, limits, tuned winners, rounded
// activations) are given directly; no device is needed.
import { describe, expect, it } from 'vitest';
import type { KernelConfig, KernelContext } from '../src/ops/context.ts';
import { matmulDefault, selectMatmulKernel } from '../src/ops/matmul/index.ts';

function ctx(facts: Partial<KernelContext> = {}): KernelContext {
  return { features: new Set<string>(), limits: {}, ...facts } as unknown as KernelContext;
}

describe('selectMatmulKernel', () => {
  it('serves decode rows with the GEMV and prefill with the GEMM, shipped defaults by adapter class', () => {
    const gpu = selectMatmulKernel(ctx(), { m: 1, k: 2048, n: 2048, dtype: 'q8_0' });
    expect(gpu).toMatchObject({ kernel: 'gemv', source: 'gemv', reason: 'default for m1-k2048-n2048-q8_0' });
    expect(gpu.config).toEqual(matmulDefault('gemv').config);
    const prefill = selectMatmulKernel(ctx(), { m: 64, k: 512, n: 1376, dtype: 'q4_0' });
    expect(prefill).toMatchObject({
      kernel: 'gemm',
      source: 'gemm',
      reason: 'default for m64-k512-n2048-q4_0',
    });
    // A CPU adapter gets the whole-rows kernels; q4_0 over rounded activations the integer-dot GEMV.
    const cpu = ctx({ cpuAdapter: true, q8Activations: true });
    expect(selectMatmulKernel(cpu, { m: 1, k: 512, n: 1376, dtype: 'q4_0' })).toMatchObject({
      kernel: 'gemv',
      source: 'gemv-swar-q4_0',
      reason: 'cpu-default for m1-k512-n2048-q4_0',
    });
    expect(selectMatmulKernel(cpu, { m: 1, k: 512, n: 1376, dtype: 'q8_0' }).source).toBe('gemv-rows');
    expect(selectMatmulKernel(cpu, { m: 64, k: 512, n: 1376, dtype: 'q4_0' }).source).toBe('gemm-rows');
  });

  it("takes the caller's configuration, else a tuned winner that can run here, else the default", () => {
    const winner: KernelConfig = { constants: { WG: 128, TPR: 32, RPT: 1, UNROLL: 2, SPLIT_K: 1 } };
    const tunedCtx = ctx({
      tuned: (op, bucket) => (op === 'matmul/gemv' && bucket === 'm1-k2048-n2048-f32' ? winner : undefined),
    });
    const tuned = selectMatmulKernel(tunedCtx, { m: 1, k: 2048, n: 2048, dtype: 'f32' });
    expect(tuned).toMatchObject({ kernel: 'gemv', config: winner, reason: 'tuned for m1-k2048-n2048-f32' });
    const explicit: KernelConfig = { constants: { WG: 64, TPR: 8, RPT: 4, UNROLL: 1, SPLIT_K: 1 } };
    expect(selectMatmulKernel(tunedCtx, { m: 1, k: 2048, n: 2048, dtype: 'f32' }, explicit)).toMatchObject({
      config: explicit,
      reason: 'explicit for m1-k2048-n2048-f32',
    });
    // A stored winner this device cannot run (here: subgroups it lacks) is passed over.
    const unusable: KernelConfig = { constants: winner.constants, defines: { SUBGROUPS: true } };
    const stale = selectMatmulKernel(ctx({ tuned: () => unusable }), {
      m: 1,
      k: 2048,
      n: 2048,
      dtype: 'f32',
    });
    expect(stale.reason).toBe('default for m1-k2048-n2048-f32');
  });
});
