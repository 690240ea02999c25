// Plain sampling (temperature, top-k, top-p, min-p, penalties): `samples` independent answers,
// returned in the order drawn (OpenAI's `n` choices).

import { checkChoicesWithinSamples } from './params.ts';
import { sampleWaves } from './sampling-waves.ts';
import type { StrategyDefinition } from './types.ts';

/** `sample`: independent samples, no selection. */
export const sample: StrategyDefinition = {
  name: 'sample',
  aliases: ['sampling'],
  summary: 'independent samples with the request’s sampling settings, in the order drawn',
  defaultSamples: 1,
  params: {},
  usesVerifier: false,
  usesStepScorer: false,
  validate(_params, samples, n) {
    checkChoicesWithinSamples(samples, n);
  },
  async run(ctx) {
    const all = await sampleWaves(ctx, ctx.samples);
    return { ranked: all, winner: all[0] ?? null };
  },
};
