import { isCpuAdapter } from '../device/adapter-class.ts';
import type { AcquiredDevice } from '../device/request-device.ts';
import { PipelineCache } from '../jit/pipeline-cache.ts';

/** A tuned (or default) choice of a kernel's parameters: override constants and defines. */
export interface KernelConfig {
  /** Values for the kernel's WGSL `override` constants. */
  constants: Record<string, number>;
  /** Structural variants switched on (`#if NAME`). */
  defines?: Record<string, boolean>;
}

/** Looks up the tuner's winner for an op on a shape bucket (undefined: use the shipped default). */
export type TunedConfigLookup = (op: string, shapeBucket: string) => KernelConfig | undefined;

/**
 * What every op needs to build and record its kernels. Ops record dispatches into a
 * caller's command encoder and never submit or read back themselves, so a runtime can
 * put a whole decoder step into one submit.
 */
export interface KernelContext {
  /** The device kernels run on. */
  device: GPUDevice;
  /** JIT cache shared by every op on this device. */
  pipelines: PipelineCache;
  /** Features enabled on the device (`shader-f16`, `subgroups`, …). */
  features: ReadonlySet<string>;
  /** Effective device limits. */
  limits: Readonly<Record<string, number>>;
  /** The tuner's choices; absent or returning undefined means the shipped defaults. */
  tuned?: TunedConfigLookup;
  /** True on a CPU implementation (SwiftShader, llvmpipe): ops ship CPU-shaped defaults there. */
  cpuAdapter?: boolean;
  /** q4_0 matmuls round activations to 8 bits per block of 32, as llama.cpp's CPU path does (set on CPU adapters). */
  q8Activations?: boolean;
}

/** A KernelContext over an acquired device, with a fresh pipeline cache and no tuned choices. */
export function kernelContextFor(
  acquired: Pick<AcquiredDevice, 'device' | 'features' | 'limits' | 'info'>,
): KernelContext {
  const cpuAdapter = isCpuAdapter(acquired.info);
  return {
    device: acquired.device,
    pipelines: new PipelineCache(acquired.device),
    features: new Set(acquired.features),
    limits: acquired.limits,
    cpuAdapter,
    // Integer dots (matmul/gemv-swar-q4_0.wgsl) are where a CPU adapter's decode time goes down.
    q8Activations: cpuAdapter,
  };
}
