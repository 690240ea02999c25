// Self-consistency (Wang et al. 2022): sample N reasoning paths, extract each final answer,
// return the most frequent.

import { checkChoicesWithinSamples } from './params.ts';
import { sampleWaves } from './sampling-waves.ts';
import type { StrategyDefinition } from './types.ts';
import { voteOutcome } from './voting.ts';

/** `sc`: majority vote over extracted answers. */
export const selfConsistency: StrategyDefinition = {
  name: 'sc',
  aliases: ['self-consistency', 'majority-vote'],
  summary: 'N samples, majority vote over their extracted answers',
  defaultSamples: 8,
  params: {},
  usesVerifier: false,
  usesStepScorer: false,
  validate(_params, samples, n) {
    checkChoicesWithinSamples(samples, n);
  },
  async run(ctx) {
    const all = await sampleWaves(ctx, ctx.samples);
    return voteOutcome(ctx, all);
  },
};
