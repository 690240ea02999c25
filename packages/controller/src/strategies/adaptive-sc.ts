// Adaptive self-consistency (Aggarwal et al. 2023, "Let's Sample Step by Step"): sample in
// batches, keep every earlier sample, and stop as soon as the vote is decided under a stopping
// rule (stopping-rule.ts: the Beta rule or the leader's share, a batch schedule, and the default
// chosen on the bundled model's dev set). Reports the samples saved.

import { RuminateError } from '@ruminate/errors';
import type { Branch } from '../generator/branch.ts';
import { extractAnswer } from '../verifiers/answer.ts';
import { choiceParam, numberParam } from './params.ts';
import { sampleWaves } from './sampling-waves.ts';
import {
  ASC_DEFAULT_RULE,
  type AscStoppingRule,
  ascDefaultLevel,
  ascNextBatch,
  voteDecided,
} from './stopping-rule.ts';
import type { StrategyDefinition } from './types.ts';
import { voteOutcome } from './voting.ts';

export { voteDecided } from './stopping-rule.ts';

const RULES = ['beta', 'share'] as const;
const GROWTHS = ['double', 'total', 'step'] as const;

/** The stopping rule given by a strategy's parameters (defaults: ASC_DEFAULT_RULE); throws `invalid-argument` naming the field. */
export function ascStoppingRule(params: Readonly<Record<string, unknown>>): AscStoppingRule {
  const rule = choiceParam(params, 'rule', RULES, ASC_DEFAULT_RULE.rule);
  return {
    rule,
    level: numberParam(params, 'level', {
      default: ascDefaultLevel(rule),
      min: 0,
      max: 1,
      exclusiveMin: true,
    }),
    batch: numberParam(params, 'batch', { default: ASC_DEFAULT_RULE.batch, min: 1, integer: true }),
    growth: choiceParam(params, 'growth', GROWTHS, ASC_DEFAULT_RULE.growth),
    step: numberParam(params, 'step', { default: ASC_DEFAULT_RULE.step, min: 1, integer: true }),
  };
}

/** `asc`: self-consistency that stops when the vote is decided. */
export const adaptiveSelfConsistency: StrategyDefinition = {
  name: 'asc',
  aliases: ['adaptive-sc', 'adaptive-self-consistency'],
  summary:
    'self-consistency in batches, stopping when the vote is decided (Beta rule at 0.7 after 3, 4, 5, … samples)',
  defaultSamples: 16,
  params: {
    rule: 'beta (default: stop when P(leader > 1/2) ≥ level) or share (leader’s share of samples ≥ level)',
    level: 'threshold: default 0.7 for beta (chosen on the bundled model’s dev set), 0.75 for share',
    batch: 'first batch size (default 3)',
    growth:
      'later batches: step (default: `step` samples each), double (each twice the last) or total (as many as drawn so far)',
    step: 'samples per later batch when growth is step (default 1)',
  },
  usesVerifier: false,
  usesStepScorer: false,
  resolveParams(params) {
    return { ...params, ...ascStoppingRule(params) };
  },
  validate(params, samples, n) {
    ascStoppingRule(params);
    if (n > samples)
      throw new RuminateError('invalid-argument', `n (${n}) exceeds the samples drawn (${samples}).`, {
        field: 'n',
      });
  },
  async run(ctx) {
    const stopping = ascStoppingRule(ctx.params);
    let batch = stopping.batch;
    const drawn: Branch[] = [];
    const answers: (string | null)[] = [];
    let batches = 0;
    while (drawn.length < ctx.samples) {
      ctx.gen.trace.step = batches;
      const size = Math.min(batch, ctx.samples - drawn.length);
      const fresh = await sampleWaves(ctx, size);
      drawn.push(...fresh);
      answers.push(...fresh.map((b) => extractAnswer(b.text, ctx.answer)));
      batches++;
      if (fresh.length < size) break; // the run's token budget is spent
      batch = ascNextBatch(batch, drawn.length, stopping.growth, stopping.step);
      if (voteDecided(answers, stopping.rule, stopping.level)) break;
    }
    const outcome = voteOutcome(ctx, drawn);
    const usage = ctx.gen.usage();
    const perSample = usage.generatedTokens / Math.max(1, drawn.length);
    outcome.stats = {
      ...outcome.stats,
      samplesDrawn: drawn.length,
      samplesSaved: ctx.samples - drawn.length,
      tokensSavedEstimate: Math.round((ctx.samples - drawn.length) * perSample),
      batches,
    };
    return outcome;
  },
};
