export {
  type ExpertMatmulArgs,
  ExpertMatmulOp,
  type ExpertWeights,
  expertMatmulTuningSpace,
  type MoeCombineArgs,
  MoeCombineOp,
  moeCombineTuningSpace,
} from './expert-matmul.ts';
export {
  MOE_MAX_EXPERTS,
  MOE_MAX_TOPK,
  type MoeGatingArgs,
  MoeGatingOp,
  moeGatingTuningSpace,
} from './moe-gating.ts';
export {
  expertMatmulReference,
  type MoeRouting,
  moeGroupReference,
  moeRouteReference,
} from './moe-reference.ts';
export { type MoeShape, moeShapeBucket, moeTunable } from './tunable.ts';
