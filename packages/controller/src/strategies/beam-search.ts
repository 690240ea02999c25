// Step-wise beam search with a step scorer (Snell et al. 2024; HF search-and-learn): N active
// beams, beam width M. Each iteration every active beam extends by one reasoning step; every
// prefix is scored; finished beams move to a pool; the top N/M survive and each is expanded back
// to M by forking its KV cache. After the last iteration the survivors finish to the end. The
// answer is the best finished beam by its aggregated step scores (last by default; min or prod).

import { RuminateError } from '@ruminate/errors';
import type { Branch } from '../generator/branch.ts';
import { aggregateStepScores, formatScore, type StepAggregate, scoreSteps } from './scoring.ts';
import { resolveTreeSearchParams, treeSearchParams, validateTreeSearchParams } from './tree-search-params.ts';
import type { StrategyContext, StrategyDefinition, StrategyOutcome } from './types.ts';

/** Finishes `active` to the end, scores them, and ranks `pool` by final score. */
export async function finishAndRank(
  ctx: StrategyContext,
  pool: Branch[],
  active: Branch[],
  scores: Map<Branch, number>,
  agg: StepAggregate,
): Promise<StrategyOutcome> {
  if (active.length > 0) {
    await ctx.gen.extend(active);
    await scoreSteps(ctx, active);
    active.forEach((b) => {
      scores.set(b, aggregateStepScores(b.stepScores, agg, ctx.stepScorer.scale));
      pool.push(b);
    });
  }
  const ranked = pool
    .map((b, i) => ({ b, i, s: scores.get(b) ?? Number.NEGATIVE_INFINITY }))
    .sort((x, y) => y.s - x.s || x.i - y.i)
    .map((x) => x.b);
  const winner = ranked[0] ?? null;
  if (winner)
    ctx.gen.trace.event(winner.id, 'selected', `score ${formatScore(scores.get(winner) ?? Number.NaN)}`);
  return { ranked, winner };
}

/** `beam`: step-level beam search. */
export const beamSearch: StrategyDefinition = {
  name: 'beam',
  aliases: ['beam-search'],
  summary: 'step-wise beam search: N beams, keep the top N/M by step score, expand each to M',
  defaultSamples: 8,
  params: {
    width: 'beam width M: forks per surviving beam (default 4; N/M beams survive)',
    iterations: 'reasoning steps searched before finishing to the end (default 40)',
    aggregate: 'how a path’s step scores combine: last (default), min or prod',
  },
  usesVerifier: false,
  usesStepScorer: true,
  resolveParams: resolveTreeSearchParams,
  validate(params, samples, n) {
    validateTreeSearchParams(params, samples, 'beams');
    if (n > samples)
      throw new RuminateError('invalid-argument', `n (${n}) exceeds the beams (${samples}).`, { field: 'n' });
  },
  async run(ctx) {
    const { width, iterations, aggregate: agg } = treeSearchParams(ctx.params, ctx.samples);
    const keepCount = Math.max(1, Math.floor(ctx.samples / width));
    const pool: Branch[] = [];
    const scores = new Map<Branch, number>();
    let active = await ctx.gen.fork(ctx.root, ctx.samples);
    for (let it = 0; it < iterations && active.length > 0; it++) {
      ctx.gen.trace.step = it;
      await ctx.gen.extend(active, { delimiter: true });
      await scoreSteps(ctx, active);
      active.forEach((b) => {
        scores.set(b, aggregateStepScores(b.stepScores, agg, ctx.stepScorer.scale));
      });
      pool.push(...active.filter((b) => b.finished));
      const open = active.filter((b) => !b.finished);
      if (it === iterations - 1 || open.length === 0) {
        active = open;
        break;
      }
      const order = open
        .map((b, i) => ({ b, i, s: scores.get(b) ?? Number.NEGATIVE_INFINITY }))
        .sort((x, y) => y.s - x.s || x.i - y.i);
      const kept = order.slice(0, keepCount).map((x) => x.b);
      for (const x of order.slice(keepCount))
        await ctx.gen.prune(x.b, `not in top ${keepCount} at step ${it}`);
      const next: Branch[] = [];
      for (const b of kept) {
        next.push(b, ...(await ctx.gen.fork(b, width - 1)));
      }
      active = next;
    }
    return finishAndRank(ctx, pool, active, scores, agg);
  },
};
