export {
  GEMV_MAX_M,
  gemvMTile,
  Matmul,
  type MatmulArgs,
  type MatmulDesc,
  matmulKernelFor,
  matmulOpName,
  matmulShapeBucket,
} from './matmul.ts';
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
