// Particle filtering over reasoning steps (Puri et al. 2025, "A Probabilistic Inference Approach
// to Inference-Time Scaling of LLMs using Particle-Based Monte Carlo Methods"). N particles; each
// iteration extends every live particle by one step, weights it w = log(r / (1 − r)) from the
// step scorer's reward r (or the score itself for an unbounded scorer such as self-certainty),
// then resamples N particles with probabilities softmax(w), systematic or multinomial. Finished
// particles keep their last weight and take part in resampling. Resampling is a fork: a particle
// drawn k times keeps its sequence and forks k − 1 copies; one drawn 0 times is released.

import { RuminateError } from '@ruminate/errors';
import type { Branch } from '../generator/branch.ts';
import { createRng, mixSeed } from '../generator/seeds.ts';
import { verdictLogWeight } from '../verifiers/types.ts';
import { choiceParam, numberParam } from './params.ts';
import { multinomialResample, softmax, systematicResample } from './resampling.ts';
import { formatScore, scoreSteps } from './scoring.ts';
import type { StrategyDefinition } from './types.ts';
import { voteOutcome } from './voting.ts';

/** `pf`: particle filtering with resampling. */
export const particleFilter: StrategyDefinition = {
  name: 'pf',
  aliases: ['particle-filter', 'particle-filtering'],
  summary: 'particle filtering: extend by a step, weight by reward, resample N by softmax(weights)',
  defaultSamples: 8,
  params: {
    resampling: 'systematic (default) or multinomial',
    iterations: 'reasoning steps before the survivors finish to the end (default 40)',
    select: 'max (default: highest weight) or vote (weighted vote over answers)',
  },
  usesVerifier: false,
  usesStepScorer: true,
  resolveParams(params) {
    return {
      ...params,
      resampling: choiceParam(params, 'resampling', ['systematic', 'multinomial'] as const, 'systematic'),
      select: choiceParam(params, 'select', ['max', 'vote'] as const, 'max'),
      iterations: numberParam(params, 'iterations', { default: 40 }),
    };
  },
  validate(params, samples, n) {
    choiceParam(params, 'resampling', ['systematic', 'multinomial'] as const, 'systematic');
    choiceParam(params, 'select', ['max', 'vote'] as const, 'max');
    numberParam(params, 'iterations', { default: 40, min: 1, integer: true });
    if (n > samples)
      throw new RuminateError('invalid-argument', `n (${n}) exceeds the particles (${samples}).`, {
        field: 'n',
      });
  },
  async run(ctx) {
    const method = choiceParam(
      ctx.params,
      'resampling',
      ['systematic', 'multinomial'] as const,
      'systematic',
    );
    const select = choiceParam(ctx.params, 'select', ['max', 'vote'] as const, 'max');
    const iterations = numberParam(ctx.params, 'iterations', { default: 40 });
    const rng = createRng(mixSeed(ctx.seed, 0x9f1));
    const weight = new Map<Branch, number>();
    let particles = await ctx.gen.fork(ctx.root, ctx.samples);
    let resamplings = 0;
    const extendAndWeigh = async (live: Branch[], toEnd: boolean) => {
      await ctx.gen.extend(live, toEnd ? {} : { delimiter: true });
      const vs = await scoreSteps(ctx, live);
      live.forEach((b, i) => {
        weight.set(b, verdictLogWeight(ctx.stepScorer.scale, vs[i] as { passed: boolean; score: number }));
      });
    };
    for (let it = 0; it < iterations; it++) {
      ctx.gen.trace.step = it;
      const live = particles.filter((b) => !b.finished);
      if (live.length === 0) break;
      await extendAndWeigh(live, false);
      if (particles.every((b) => b.finished) || it === iterations - 1) break;
      const probs = softmax(particles.map((b) => weight.get(b) ?? Number.NEGATIVE_INFINITY));
      const picks =
        method === 'systematic'
          ? systematicResample(probs, ctx.samples, rng)
          : multinomialResample(probs, ctx.samples, rng);
      const counts = particles.map((_, i) => picks.filter((p) => p === i).length);
      const next: Branch[] = [];
      for (let i = 0; i < particles.length; i++) {
        const b = particles[i] as Branch;
        const c = counts[i] as number;
        if (c === 0) {
          if (!b.finished) await ctx.gen.prune(b, `resampled away (p=${formatScore(probs[i] as number)})`);
          else ctx.gen.trace.event(b.id, 'resampled', 'drawn 0 times');
          continue;
        }
        const copies = await ctx.gen.fork(b, c - 1);
        for (const k of copies) {
          weight.set(k, weight.get(b) ?? Number.NEGATIVE_INFINITY);
          ctx.gen.trace.event(k.id, 'resampled', `copy of ${b.id}`);
        }
        if (c > 1)
          ctx.gen.trace.event(b.id, 'resampled', `drawn ${c} times (p=${formatScore(probs[i] as number)})`);
        next.push(b, ...copies);
      }
      particles = next;
      resamplings++;
    }
    const open = particles.filter((b) => !b.finished);
    if (open.length > 0) await extendAndWeigh(open, true);
    for (const b of particles) {
      const w = weight.get(b) ?? Number.NEGATIVE_INFINITY;
      ctx.gen.trace.get(b.id).score = Number.isFinite(w) ? w : null;
    }
    const stats = { resamplings, particles: particles.length };
    if (select === 'vote') {
      const outcome = voteOutcome(
        ctx,
        particles,
        softmax(particles.map((b) => weight.get(b) ?? Number.NEGATIVE_INFINITY)),
      );
      return { ...outcome, stats: { ...outcome.stats, ...stats } };
    }
    const ranked = particles
      .map((b, i) => ({ b, i, w: weight.get(b) ?? Number.NEGATIVE_INFINITY }))
      .sort((x, y) => y.w - x.w || x.i - y.i)
      .map((x) => x.b);
    const winner = ranked[0] ?? null;
    if (winner)
      ctx.gen.trace.event(winner.id, 'selected', `weight ${formatScore(weight.get(winner) ?? Number.NaN)}`);
    return { ranked, winner, stats };
  },
};
