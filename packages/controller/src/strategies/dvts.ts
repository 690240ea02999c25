// Diverse verifier tree search (Beeching, Tunstall & Rush 2024, HF search-and-learn): split N into
// N/M independent subtrees; at each step every subtree forks M candidate next steps from its
// current node, scores them, keeps its best and drops the rest; a subtree ends when its best is
// finished. All subtrees' candidates are decoded in one batch. The answer: the best final node.

import { RuminateError } from '@ruminate/errors';
import type { Branch } from '../generator/branch.ts';
import { finishAndRank } from './beam-search.ts';
import { aggregateStepScores, scoreSteps } from './scoring.ts';
import { resolveTreeSearchParams, treeSearchParams, validateTreeSearchParams } from './tree-search-params.ts';
import type { StrategyDefinition } from './types.ts';

/** `dvts`: independent greedy-by-verifier subtrees. */
export const dvts: StrategyDefinition = {
  name: 'dvts',
  aliases: ['diverse-verifier-tree-search'],
  summary: 'diverse verifier tree search: N/M subtrees, each keeps its best of M steps',
  defaultSamples: 8,
  params: {
    width: 'candidate steps per subtree per iteration M (default 4; N/M subtrees)',
    iterations: 'reasoning steps searched before finishing to the end (default 40)',
    aggregate: 'how a path’s step scores combine: last (default), min or prod',
  },
  usesVerifier: false,
  usesStepScorer: true,
  resolveParams: resolveTreeSearchParams,
  validate(params, samples, n) {
    const width = validateTreeSearchParams(params, samples, 'samples');
    if (n > Math.max(1, Math.floor(samples / width))) {
      throw new RuminateError(
        'invalid-argument',
        `n (${n}) exceeds the subtrees (${Math.floor(samples / width)}).`,
        { field: 'n' },
      );
    }
  },
  async run(ctx) {
    const { width, iterations, aggregate: agg } = treeSearchParams(ctx.params, ctx.samples);
    const subtrees = Math.max(1, Math.floor(ctx.samples / width));
    const scores = new Map<Branch, number>();
    const pool: Branch[] = [];
    // The current node of each live subtree (null: expand from the prompt).
    let heads: (Branch | null)[] = new Array<Branch | null>(subtrees).fill(null);
    for (let it = 0; it < iterations && heads.length > 0; it++) {
      ctx.gen.trace.step = it;
      const groups: Branch[][] = [];
      for (const h of heads) groups.push(await ctx.gen.fork(h ?? ctx.root, width));
      for (const h of heads) if (h) await ctx.gen.free(h);
      const all = groups.flat();
      await ctx.gen.extend(all, { delimiter: true });
      await scoreSteps(ctx, all);
      all.forEach((b) => {
        scores.set(b, aggregateStepScores(b.stepScores, agg, ctx.stepScorer.scale));
      });
      const next: Branch[] = [];
      for (const g of groups) {
        const order = g
          .map((b, i) => ({ b, i, s: scores.get(b) ?? Number.NEGATIVE_INFINITY }))
          .sort((x, y) => y.s - x.s || x.i - y.i);
        const best = (order[0] as { b: Branch }).b;
        for (const x of order.slice(1)) await ctx.gen.prune(x.b, `subtree kept candidate ${best.id}`);
        if (best.finished) pool.push(best);
        else next.push(best);
      }
      heads = next;
    }
    return finishAndRank(
      ctx,
      pool,
      heads.filter((h): h is Branch => h !== null),
      scores,
      agg,
    );
  },
};
