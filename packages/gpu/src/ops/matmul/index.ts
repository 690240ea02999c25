export { type MatmulArgs, type MatmulDesc, MatmulOp } from './matmul.ts';
export {
  GEMV_MAX_M,
  gemvMTile,
  type MatmulKernelChoice,
  type MatmulShapeKey,
  matmulKernelFor,
  matmulOpName,
  matmulShapeBucket,
  selectMatmulKernel,
} from './select-kernel.ts';
export {
  dequantSnippet,
  isMatmulDtype,
  MATMUL_DTYPES,
  type MatmulDtype,
  type MatmulSourceName,
  matmulSource,
  matmulSourceName,
  variantHeader,
} from './shader-source.ts';
export { type MatmulShape, type MatmulTunable, matmulTunable, reducedMatmulShape } from './tunable.ts';
export {
  type MatmulCandidate,
  type MatmulKernelName,
  matmulCandidates,
  matmulConfigProblem,
  matmulDefault,
  usableCandidates,
} from './tuning-space.ts';
