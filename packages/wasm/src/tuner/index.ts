export {
  defaultMatmulChoice,
  type MatmulChoice,
  type MatmulProblem,
  type MatmulTuneOptions,
  type MatmulTuneResult,
  matmulCandidates,
  matmulProblemKey,
  tuneMatmuls,
} from './matmul-tuner.ts';
