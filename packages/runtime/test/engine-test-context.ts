// One KernelContext (device + pipeline cache) per test process, so that every model a GPU
// test file loads reuses the kernels the first one compiled (SwiftShader compiles slowly).
import { type KernelContext, kernelContextFor } from '@ruminate/gpu';
import { testDevice } from '@ruminate/gpu/testing';

let shared: Promise<KernelContext> | undefined;

/** The process-wide kernel context for runtime GPU tests. */
export function sharedKernelContext(): Promise<KernelContext> {
  shared ??= testDevice().then(kernelContextFor);
  return shared;
}
