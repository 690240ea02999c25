export { type CpuProfile, type CpuProfileOptions, measureCpuProfile } from './cpu-profile.ts';
export {
  BENCH_WEIGHT_TYPES,
  type BenchWeightType,
  emitMemorySweep,
  SWEEP_CHUNK,
  syntheticGgufWeights,
  type TimingOptions,
  timeBest,
} from './kernel-timing.ts';
export {
  benchWasmMatmuls,
  type MatmulBenchShape,
  type MatmulTiming,
  WASM_BENCH_SHAPES,
  type WasmMatmulBench,
  type WasmMatmulBenchOptions,
  type WasmMatmulBenchRow,
} from './matmul-bench.ts';
