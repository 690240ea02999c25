// Elementwise and row kernels of the forward pass.
export { type AddSpec, emitAdd } from './add.ts';
export { emitGatherRows, type GatherRowsSpec } from './gather-rows.ts';
export { emitScaledAccumulate, type ScaledAccumulateSpec } from './scaled-accumulate.ts';
export { emitSiluMul, type SiluMulSpec } from './silu-mul.ts';
export { emitSoftmax, type SoftmaxSpec } from './softmax.ts';
