// Adaptive self-consistency: sample in growing batches (2, 4, 8, …), keep every earlier sample,
// and stop as soon as the vote is decided — by the Beta rule (beta-rule.ts, default confidence
// 0.95) or by the leading answer's share (its_hub uses 0.75). Reports the samples saved.

import { RuminateError } from '@ruminate/gpu';
import type { Branch } from '../generator/branch.ts';
import { extractAnswer } from '../verifiers/answer.ts';
import { betaStopProbability } from './beta-rule.ts';
import { choiceParam, numberParam } from './params.ts';
import { sampleWaves } from './sampling-waves.ts';
import type { StrategyDefinition } from './types.ts';
import { tallyVotes, voteOutcome } from './voting.ts';

/** Whether the vote over `answers` is decided under `rule` at `level`. */
export function voteDecided(
  answers: readonly (string | null)[],
  rule: 'beta' | 'share',
  level: number,
): boolean {
  const counts = [...tallyVotes(answers).tally.values()].sort((a, b) => b - a);
  const v1 = counts[0] ?? 0;
  const v2 = counts[1] ?? 0;
  if (v1 === 0) return false;
  if (rule === 'share') return v1 / answers.length >= level;
  return betaStopProbability(v1, v2) >= level;
}

/** `asc`: self-consistency that stops when the vote is decided. */
export const adaptiveSelfConsistency: StrategyDefinition = {
  name: 'asc',
  aliases: ['adaptive-sc', 'adaptive-self-consistency'],
  summary: 'self-consistency in growing batches, stopping when the vote is decided (Beta rule)',
  defaultSamples: 16,
  params: {
    rule: 'beta (default: stop when P(leader > 1/2) ≥ level) or share (leader’s share ≥ level)',
    level: 'confidence for beta (default 0.95) or share threshold (default 0.75)',
    batch: 'first batch size (default 2); each next batch doubles',
  },
  usesVerifier: false,
  usesStepScorer: false,
  resolveParams(params) {
    const rule = choiceParam(params, 'rule', ['beta', 'share'] as const, 'beta');
    return {
      ...params,
      rule,
      level: numberParam(params, 'level', { default: rule === 'beta' ? 0.95 : 0.75 }),
      batch: numberParam(params, 'batch', { default: 2 }),
    };
  },
  validate(params, samples, n) {
    const rule = choiceParam(params, 'rule', ['beta', 'share'] as const, 'beta');
    numberParam(params, 'level', {
      default: rule === 'beta' ? 0.95 : 0.75,
      min: 0,
      max: 1,
      exclusiveMin: true,
    });
    numberParam(params, 'batch', { default: 2, min: 1, integer: true });
    if (n > samples)
      throw new RuminateError('invalid-argument', `n (${n}) exceeds the samples drawn (${samples}).`, {
        field: 'n',
      });
  },
  async run(ctx) {
    const rule = choiceParam(ctx.params, 'rule', ['beta', 'share'] as const, 'beta');
    const level = numberParam(ctx.params, 'level', { default: rule === 'beta' ? 0.95 : 0.75 });
    let batch = numberParam(ctx.params, 'batch', { default: 2 });
    const drawn: Branch[] = [];
    const answers: (string | null)[] = [];
    let batches = 0;
    while (drawn.length < ctx.samples) {
      ctx.gen.trace.step = batches;
      const fresh = await sampleWaves(ctx, Math.min(batch, ctx.samples - drawn.length));
      drawn.push(...fresh);
      answers.push(...fresh.map((b) => extractAnswer(b.text, ctx.answer)));
      batches++;
      batch *= 2;
      if (voteDecided(answers, rule, level)) break;
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
