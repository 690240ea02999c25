import { freshSeed } from '@ruminate/gpu/testing';
import { describe, expect, it } from 'vitest';
import {
  type CandidateTrace,
  createRng,
  multinomialResample,
  runStrategy,
  softmax,
  systematicResample,
  type Verifier,
} from '../src/index.ts';
import { engineFor, stepModel } from './scripted-models.ts';

/** A stand-in process reward model: the reward of a prefix is the fraction of good ("G") steps. */
const goodSteps: Verifier = {
  name: 'good-steps',
  scale: 'probability',
  verify: (input) => {
    const steps = input.steps.filter((s) => s.trim().length > 0);
    const good = steps.filter((s) => s.startsWith('G')).length;
    return { passed: true, score: (good + 0.5) / (steps.length + 1) };
  },
};

const byId = (trace: CandidateTrace[]) => new Map(trace.map((c) => [c.id, c]));

describe('beam search', () => {
  it('keeps the top N/M beams by step score at every step and expands each to M', async () => {
    const engine = engineFor(stepModel(4, 0.35));
    const r = await runStrategy(engine, {
      prompt: 'Q:',
      strategy: { name: 'beam', samples: 6, width: 3 },
      stepScorer: goodSteps,
      seed: 12,
    });
    const trace = r.trace;
    for (let step = 0; step < 3; step++) {
      const scoredAt = trace.filter((c) => c.events.some((e) => e.type === 'scored' && e.step === step));
      const stepScore = (c: CandidateTrace) => c.stepScores[c.stepScores.length - 1] as number;
      const pruned = scoredAt.filter((c) => c.events.some((e) => e.type === 'pruned' && e.step === step));
      const kept = scoredAt.filter(
        (c) => !pruned.includes(c) && !c.events.some((e) => e.type === 'finished' && e.step === step),
      );
      expect(scoredAt).toHaveLength(6);
      expect(kept).toHaveLength(2);
      expect(pruned).toHaveLength(4);
      // Every kept beam scores at least as high as every pruned one.
      expect(Math.min(...kept.map(stepScore))).toBeGreaterThanOrEqual(Math.max(...pruned.map(stepScore)));
      // Each kept beam is forked into width − 1 = 2 children that continue it.
      for (const k of kept) {
        const children = trace.filter((c) => c.parent === k.id && c.events[0]?.step === step);
        expect(children).toHaveLength(2);
        for (const ch of children) expect(ch.steps.slice(0, step + 1)).toEqual(k.steps.slice(0, step + 1));
      }
    }
    const finished = trace.filter((c) => c.finishReason === 'eos');
    const best = Math.max(...finished.map((c) => c.score as number));
    expect(byId(trace).get(r.winner as number)?.score).toBe(best);
    expect(r.text?.split('\n\n').filter(Boolean)).toHaveLength(4);
    expect(engine.liveSequences).toBe(0);
    expect(engine.pagesUsed).toBe(0);
  });
});

describe('beam search aggregation', () => {
  it('with aggregate "min" the winner has the best worst step, and step scores cover the whole path', async () => {
    const engine = engineFor(stepModel(4, 0.45));
    const r = await runStrategy(engine, {
      prompt: 'Q:',
      strategy: { name: 'beam', samples: 6, width: 3, aggregate: 'min' },
      stepScorer: goodSteps,
      seed: 40,
    });
    const finished = r.trace.filter(
      (c) => c.finishReason === 'eos' && !c.events.some((e) => e.type === 'pruned'),
    );
    // One score per step of the whole path (ancestors included), plus the score at EOS.
    for (const c of finished) expect(c.stepScores.length).toBe(c.steps.length + 1);
    const best = Math.max(...finished.map((c) => Math.min(...c.stepScores)));
    const winner = byId(r.trace).get(r.winner as number) as CandidateTrace;
    expect(Math.min(...winner.stepScores)).toBe(best);
    expect(r.plan.params.aggregate).toBe('min');
  });
});

describe('DVTS', () => {
  it('runs N/M independent subtrees, each keeping its best of M candidate steps', async () => {
    const engine = engineFor(stepModel(3, 0.4));
    const r = await runStrategy(engine, {
      prompt: 'Q:',
      strategy: { name: 'dvts', samples: 8, width: 4 },
      stepScorer: goodSteps,
      seed: 31,
    });
    const trace = byId(r.trace);
    const stepScore = (c: CandidateTrace) => c.stepScores[c.stepScores.length - 1] as number;
    let groups = 0;
    for (const c of r.trace) {
      const prunedEv = c.events.find((e) => e.type === 'pruned');
      if (!prunedEv) continue;
      const keptId = Number(/kept candidate (\d+)/.exec(prunedEv.detail ?? '')?.[1]);
      const kept = trace.get(keptId) as CandidateTrace;
      expect(kept.parent).toBe(c.parent); // siblings in one subtree
      expect(stepScore(kept)).toBeGreaterThanOrEqual(stepScore(c));
      groups++;
    }
    // 2 subtrees × (3 steps + the EOS step), 3 pruned siblings per subtree per step.
    expect(groups).toBe(2 * 4 * 3);
    // Two subtrees: two finished answers whose roots (first-step nodes) differ.
    const finished = r.trace.filter(
      (c) => c.finishReason === 'eos' && !c.events.some((e) => e.type === 'pruned'),
    );
    expect(finished).toHaveLength(2);
    const rootOf = (c: CandidateTrace): number =>
      c.parent === null ? c.id : rootOf(trace.get(c.parent) as CandidateTrace);
    expect(new Set(finished.map(rootOf)).size).toBe(2);
    expect(engine.stepBatchSizes[0]).toBe(8); // both subtrees' candidates decode in one batch
    expect(engine.liveSequences).toBe(0);
  });
});

describe('particle filtering', () => {
  it('systematic resampling gives every particle ⌊Np⌋ or ⌈Np⌉ copies (fresh seed)', () => {
    const seed = freshSeed();
    const rng = createRng(seed);
    const probs = softmax([0.3, -1.2, 2.0, 0.0, -0.4]);
    for (let trial = 0; trial < 200; trial++) {
      const picks = systematicResample(probs, 7, rng);
      probs.forEach((p, i) => {
        const c = picks.filter((x) => x === i).length;
        expect(c, `seed ${seed}`).toBeGreaterThanOrEqual(Math.floor(7 * p));
        expect(c, `seed ${seed}`).toBeLessThanOrEqual(Math.ceil(7 * p));
      });
    }
  });

  it('multinomial and systematic resampling frequencies follow softmax(weights) (chi-square, fresh seed)', () => {
    const seed = freshSeed();
    const probs = softmax([Math.log(0.1), Math.log(0.2), Math.log(0.3), Math.log(0.4)]);
    for (const method of [multinomialResample, systematicResample]) {
      const rng = createRng(seed);
      const counts = [0, 0, 0, 0];
      const draws = 4000;
      for (let t = 0; t < draws / 8; t++)
        for (const i of method(probs, 8, rng)) counts[i] = (counts[i] as number) + 1;
      const chi2 = counts.reduce(
        (a, c, i) => a + (c - draws * (probs[i] as number)) ** 2 / (draws * (probs[i] as number)),
        0,
      );
      // 3 degrees of freedom: P(χ² > 21.11) = 1e-4 (a wrong distribution gives χ² in the hundreds at 4000 draws).
      expect(chi2, `${method.name} seed ${seed} counts ${counts}`).toBeLessThan(21.11);
    }
  });

  it('resamples particles by their step rewards, forking winners and releasing losers', async () => {
    const engine = engineFor(stepModel(4, 0.4));
    const r = await runStrategy(engine, {
      prompt: 'Q:',
      strategy: { name: 'pf', samples: 8, resampling: 'systematic' },
      stepScorer: goodSteps,
      seed: 8,
    });
    const resampledAway = r.trace.filter((c) =>
      c.events.some((e) => e.type === 'pruned' && /resampled away/.test(e.detail ?? '')),
    );
    const copies = r.trace.filter((c) =>
      c.events.some((e) => e.type === 'resampled' && /copy of/.test(e.detail ?? '')),
    );
    expect(resampledAway.length).toBeGreaterThan(0);
    expect(copies.length).toBe(resampledAway.length); // N stays 8
    // Systematic resampling drops only particles with N·p < 1 and copies only those with N·p > 1,
    // so at every step each particle drawn twice or more outweighs each particle dropped.
    const scoreAt = (c: CandidateTrace, step: number) =>
      Number(
        /=(-?[\d.e-]+)/.exec(c.events.find((e) => e.type === 'scored' && e.step === step)?.detail ?? '')?.[1],
      );
    let compared = 0;
    for (let step = 0; step < 4; step++) {
      const dropped = resampledAway.filter((x) =>
        x.events.some((e) => e.type === 'pruned' && e.step === step),
      );
      const multi = r.trace.filter((x) =>
        x.events.some(
          (e) =>
            e.type === 'resampled' &&
            e.step === step &&
            Number(/drawn (\d+) times/.exec(e.detail ?? '')?.[1]) >= 2,
        ),
      );
      for (const m of multi) {
        for (const d of dropped) {
          expect(scoreAt(m, step)).toBeGreaterThan(scoreAt(d, step));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(0);
    const final = r.trace.filter((c) => c.finishReason === 'eos');
    expect(final.length).toBeGreaterThan(0);
    expect(byId(r.trace).get(r.winner as number)?.finishReason).toBe('eos');
    expect(engine.liveSequences).toBe(0);
    expect(engine.pagesUsed).toBe(0);
  });
});
