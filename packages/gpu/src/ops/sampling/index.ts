export {
  mulhi,
  PHILOX_M0,
  PHILOX_M1,
  PHILOX_W0,
  PHILOX_W1,
  philox4x32_10,
  seedKey,
  streamGumbel,
  streamUniform,
} from './philox.ts';
export { type SamplerArgs, SamplerOp, samplerTuningSpace } from './sampler.ts';
export {
  countTokens,
  decodeSamplerOutput,
  packSamplerParams,
  SAMPLER_MAX_CANDIDATES,
  SAMPLER_NONE,
  SAMPLER_OUT_WORDS,
  SAMPLER_PARAM_WORDS,
  SAMPLER_TOP_N,
  type SamplerRowParams,
  type SamplerRowResult,
  samplerCandidatesFor,
} from './sampler-params.ts';
export { penalisedLogit, type ReferenceSample, sampleReference } from './sampler-reference.ts';
export { type TokenMaskArgs, TokenMaskOp, tokenMaskWords } from './token-mask.ts';
export { samplerShapeBucket, samplerTunable } from './tunable.ts';
