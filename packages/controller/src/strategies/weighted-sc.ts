// Weighted self-consistency: each candidate votes for its answer with its verifier score
// (mapped to a non-negative weight); the answer with the largest total wins.

import { verdictWeight } from '../verifiers/types.ts';
import { checkChoicesWithinSamples } from './params.ts';
import { sampleWaves } from './sampling-waves.ts';
import { scoreOutcomes } from './scoring.ts';
import type { StrategyDefinition } from './types.ts';
import { voteOutcome } from './voting.ts';

/** `wsc`: verifier-weighted vote. */
export const weightedSelfConsistency: StrategyDefinition = {
  name: 'wsc',
  aliases: ['weighted-sc', 'weighted-self-consistency'],
  summary: 'N samples; each answer’s votes are summed verifier scores',
  defaultSamples: 8,
  params: {},
  usesVerifier: true,
  usesStepScorer: false,
  validate(_params, samples, n) {
    checkChoicesWithinSamples(samples, n);
  },
  async run(ctx) {
    const all = await sampleWaves(ctx, ctx.samples);
    const verdicts = await scoreOutcomes(ctx, all);
    return voteOutcome(
      ctx,
      all,
      verdicts.map((v) => verdictWeight(ctx.verifier.scale, v)),
    );
  },
};
