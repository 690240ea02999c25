import { describe, expect, it } from 'vitest';
import { isCpuAdapter } from '../src/device/adapter-class.ts';
import {
  matmulConfigProblem,
  matmulDefault,
  matmulSourceName,
  usableCandidates,
} from '../src/ops/matmul/index.ts';

describe('adapter class', () => {
  it('recognises software adapters by their reported identity', () => {
    expect(isCpuAdapter({ vendor: 'google', architecture: 'swiftshader', description: '' })).toBe(true);
    expect(isCpuAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isCpuAdapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' })).toBe(true);
    expect(isCpuAdapter({ vendor: 'nvidia', architecture: 'hopper', isFallbackAdapter: true })).toBe(true);
    expect(isCpuAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' })).toBe(
      false,
    );
    expect(isCpuAdapter({ vendor: 'apple', architecture: 'metal-3' })).toBe(false);
    expect(isCpuAdapter({})).toBe(false);
  });

  it('gives CPU adapters straight-line whole-rows and register-tile defaults, GPUs the lane-parallel and workgroup-tiled ones', () => {
    const gpu = { features: new Set<string>(), limits: {} };
    const cpu = { ...gpu, cpuAdapter: true };
    expect(matmulDefault('gemv', gpu, 1).id).toBe('wg64-tpr16-rpt2-u1');
    expect(matmulDefault('gemv', cpu, 1).config.defines?.ROWS).toBe(true);
    for (const mTile of [2, 4, 8, 16]) {
      const d = matmulDefault('gemv', cpu, mTile);
      expect(d.config.constants.TPR, `m tile ${mTile}`).toBe(1);
      expect(matmulConfigProblem(cpu, 'gemv', d.config, mTile)).toBeUndefined();
    }
    // The tuner times the adapter's default first: it is the default among the usable candidates.
    const { candidates, defaultIndex } = usableCandidates(cpu, 'gemv', 1);
    expect(candidates[defaultIndex]?.id).toBe(matmulDefault('gemv', cpu, 1).id);
    // GEMM: GPUs tile through workgroup memory; CPU adapters run straight-line register tiles
    // (gemm-rows.wgsl), as do their GEMV batch tiles.
    expect(matmulDefault('gemm', gpu).config.defines ?? {}).toEqual({});
    expect(matmulSourceName('gemm', matmulDefault('gemm', cpu).config)).toBe('gemm-rows');
    expect(matmulSourceName('gemv', matmulDefault('gemv', cpu, 16).config, 16)).toBe('gemm-rows');
    expect(matmulSourceName('gemv', matmulDefault('gemv', cpu, 1).config, 1)).toBe('gemv-rows');
  });
});
