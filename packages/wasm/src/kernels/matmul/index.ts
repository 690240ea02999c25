export {
  ACT_D,
  ACT_I16_BYTES,
  ACT_RECORD_BYTES,
  ACT_SUM,
  ACT_SUM16,
  actI16Offset,
  actRowBytes,
} from './activation-layout.ts';
export { emitMatmul, matmulActivationBytes, type PassContext } from './emit-matmul.ts';
export { type MatmulSpec, type ResolvedMatmulSpec, resolveMatmulSpec } from './matmul-spec.ts';
export {
  emitQuantizeActivations,
  type KernelExport,
  type QuantizeActivationsSpec,
} from './quantize-activations.ts';
export { MATMUL_TUNING, type MatmulTuningSpace, matmulTuningSpace } from './tuning-space.ts';
