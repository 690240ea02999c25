// Best-of-N: sample N answers (typically T = 0.8), score each with a verifier, return the best.
// With `aggregate`, the verifier scores every step prefix and the step scores are combined by
// last, min or product (search-and-learn's agg_strategy). With `abstain`, no answer is returned
// when no candidate passes (Inference Scaling fLaws: a wrong answer may cost more than none).

import { RuminateError } from '@ruminate/errors';
import type { Branch } from '../generator/branch.ts';
import { runVerifier, type Verdict, verdictWeight } from '../verifiers/types.ts';
import { booleanParam, choiceParam } from './params.ts';
import { sampleWaves } from './sampling-waves.ts';
import { formatScore, scoreOutcomes, verifyInput } from './scoring.ts';
import type { StrategyContext, StrategyDefinition } from './types.ts';

const AGGREGATES = ['none', 'last', 'min', 'prod'] as const;

async function aggregatedVerdicts(
  ctx: StrategyContext,
  all: readonly Branch[],
  agg: 'last' | 'min' | 'prod',
): Promise<Verdict[]> {
  const out: Verdict[] = [];
  for (const b of all) {
    const count = Math.max(1, b.steps.length);
    const inputs = Array.from({ length: count }, (_, k) => verifyInput(ctx, b, k + 1));
    const vs = await runVerifier(ctx.verifier, inputs, {
      timeoutMs: ctx.verifierTimeoutMs,
      signal: ctx.signal,
    });
    const scores = vs.map((v) => v.score);
    ctx.gen.trace.get(b.id).stepScores = scores;
    let score: number;
    if (agg === 'last') score = scores[scores.length - 1] ?? Number.NEGATIVE_INFINITY;
    else if (agg === 'min') score = Math.min(...scores);
    else score = vs.reduce((a, v) => a + Math.log(verdictWeight(ctx.verifier.scale, v)), 0);
    const passed =
      agg === 'min' || agg === 'prod' ? vs.every((v) => v.passed) : (vs[vs.length - 1]?.passed ?? false);
    out.push({ passed, score });
    const rec = ctx.gen.trace.get(b.id);
    rec.score = Number.isFinite(score) ? score : null;
    rec.passed = passed;
    ctx.gen.trace.event(b.id, 'scored', `${ctx.verifier.name}/${agg}=${formatScore(score)}`);
  }
  return out;
}

/** `bon`: best of N by a verifier. */
export const bestOfN: StrategyDefinition = {
  name: 'bon',
  aliases: ['best-of-n', 'best-of-N'],
  summary: 'N samples scored by a verifier; the best wins (optionally abstain when none passes)',
  defaultSamples: 8,
  params: {
    abstain: 'return no answer when no candidate passes the verifier (default false)',
    aggregate: 'score every step prefix and combine: none (default), last, min or prod',
  },
  usesVerifier: true,
  usesStepScorer: false,
  resolveParams(params) {
    return {
      ...params,
      abstain: booleanParam(params, 'abstain', false),
      aggregate: choiceParam(params, 'aggregate', AGGREGATES, 'none'),
    };
  },
  validate(params, samples, n) {
    booleanParam(params, 'abstain', false);
    choiceParam(params, 'aggregate', AGGREGATES, 'none');
    if (n > samples)
      throw new RuminateError('invalid-argument', `n (${n}) exceeds the samples drawn (${samples}).`, {
        field: 'n',
      });
  },
  async run(ctx) {
    const abstain = booleanParam(ctx.params, 'abstain', false);
    const agg = choiceParam(ctx.params, 'aggregate', AGGREGATES, 'none');
    const all = await sampleWaves(ctx, ctx.samples);
    const verdicts = agg === 'none' ? await scoreOutcomes(ctx, all) : await aggregatedVerdicts(ctx, all, agg);
    // Passing candidates first, then by score, then in the order drawn.
    const ranked = all
      .map((b, i) => ({ b, i, v: verdicts[i] as Verdict }))
      .sort((x, y) => Number(y.v.passed) - Number(x.v.passed) || y.v.score - x.v.score || x.i - y.i)
      .map((x) => x.b);
    const anyPassed = verdicts.some((v) => v.passed);
    if (!anyPassed && abstain) return { ranked: [], winner: null, abstained: true, stats: { passed: 0 } };
    const winner = ranked[0] ?? null;
    if (winner) ctx.gen.trace.event(winner.id, 'selected', 'best verifier score');
    return { ranked, winner, stats: { passed: verdicts.filter((v) => v.passed).length } };
  },
};
