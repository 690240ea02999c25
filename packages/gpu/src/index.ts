export { type AdapterFacts, isCpuAdapter } from './device/adapter-class.ts';
export { type AllocationTracker, trackAllocations } from './device/allocation-tracker.ts';
export { type BandwidthOptions, measureCopyBandwidth } from './device/measure/bandwidth.ts';
export { median } from './device/measure/timing.ts';

export { type PassProfiler, type PassTime, profilePasses } from './device/pass-profiler.ts';
export {
  type AdapterIdentity,
  type DeviceProfile,
  measureDeviceProfile,
  type ProfileContext,
  type ProfileOptions,
} from './device/profile.ts';
export { type AcquiredDevice, type RequestDeviceOptions, requestDevice } from './device/request-device.ts';
export { isRuminateError, RuminateError, type RuminateErrorCode } from './errors.ts';
export { type CompiledKernel, type KernelSpecialization, PipelineCache } from './jit/pipeline-cache.ts';
export { type Defines, preprocess, type UnrollCounts } from './jit/preprocess.ts';
export { kernelSources } from './kernels/sources.generated.ts';
export * from './ops/attention/index.ts';
export {
  type KernelConfig,
  type KernelContext,
  kernelContextFor,
  type TunedConfigLookup,
} from './ops/context.ts';
export * from './ops/elementwise/index.ts';
export * from './ops/embedding/index.ts';
export * from './ops/matmul/index.ts';
export * from './ops/moe/index.ts';
export * from './ops/norm/index.ts';
export * from './ops/rope/index.ts';
export * from './ops/sampling/index.ts';
export * from './ops/shared/index.ts';
export {
  type GgmlTypeInfo,
  type GgmlTypeName,
  ggmlRowBytes,
  ggmlType,
  ggmlTypeById,
} from './quant/ggml-types.ts';
export {
  bf16BitsToF32,
  dequantize,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  isQuantType,
  QUANT_TYPES,
  type QuantTypeName,
  quantize,
  roundActivationsQ8,
  roundToF16,
} from './quant/index.ts';
export type { BufferSlice, WeightMatrix } from './tensor.ts';
export * from './tuner/index.ts';
