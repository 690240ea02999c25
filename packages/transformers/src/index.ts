// @ruminate/transformers: Ruminate's Engine contract over transformers.js (ONNX causal LMs on
// WebGPU or wasm). The GGUF → ONNX converter is the `@ruminate/transformers/convert` entry.
export { type CausalLmConfig, parameterCount, readCausalLmConfig } from './model-config.ts';
export { type ResolvedSource, resolveModelSource } from './model-source.ts';
export {
  type BatchFeeds,
  type BatchRow,
  type CacheShape,
  layoutBatch,
  type Past,
  splitPresent,
} from './past-batch.ts';
export {
  type TransformersDevice,
  TransformersEngine,
  type TransformersEngineOptions,
  transformersEngine,
} from './transformers-engine.ts';
