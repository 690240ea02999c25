// @ruminate/wasm: WebAssembly SIMD kernels generated at run time (a binary encoder of its own),
// specialised to the model's shapes and the CPU's features, run by a pool of threads over one
// shared memory. The runtime's WasmModel is its one user; see README.md.
export * from './encoder/index.ts';
export * from './features.ts';
export * from './kernels/attention/index.ts';
export * from './kernels/elementwise/index.ts';
export * from './kernels/math/index.ts';
export {
  ACT_D,
  ACT_RECORD_BYTES,
  ACT_SUM,
  ACT_SUM16,
  actRowBytes,
  emitMatmul,
  emitQuantizeActivations,
  MATMUL_TUNING,
  type MatmulSpec,
  type MatmulTuningSpace,
  matmulActivationBytes,
  matmulTuningSpace,
  type QuantizeActivationsSpec,
  type ResolvedMatmulSpec,
  resolveMatmulSpec,
} from './kernels/matmul/index.ts';
export * from './kernels/norm/index.ts';
export * from './kernels/rope/index.ts';
export { emitShare, shareOf, THREAD_PARAMS } from './kernels/thread-share.ts';
export * from './memory/index.ts';
export * from './pool/index.ts';
export * from './profile/index.ts';
export * from './tuner/index.ts';
export * from './weights/index.ts';
