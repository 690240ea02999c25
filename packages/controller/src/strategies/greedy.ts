// Greedy decoding: one candidate, the argmax token at every position.

import { RuminateError } from '@ruminate/errors';
import type { StrategyDefinition } from './types.ts';

/** `greedy`: one deterministic answer. */
export const greedy: StrategyDefinition = {
  name: 'greedy',
  aliases: ['argmax'],
  summary: 'one answer, the most likely token at each position',
  defaultSamples: 1,
  params: {},
  usesVerifier: false,
  usesStepScorer: false,
  validate(_params, samples, n) {
    if (samples !== 1)
      throw new RuminateError('invalid-argument', 'greedy draws exactly one sample; use sample@N for more.', {
        field: 'strategy.samples',
      });
    if (n !== 1)
      throw new RuminateError(
        'invalid-argument',
        'greedy gives one choice; use n = 1 or the sample strategy.',
        { field: 'n' },
      );
  },
  async run(ctx) {
    const [b] = await ctx.gen.fork(ctx.root, 1);
    if (!b) throw new RuminateError('internal', 'fork returned nothing');
    await ctx.gen.extend([b], { sampling: { temperature: 0 } });
    return { ranked: [b], winner: b };
  },
};
