// QAlign (MCMC over whole responses) on the scripted engine: the Metropolis–Hastings ratio with its
// length term, proposals forked from a prefix of the current state, the vote after burn-in, KV
// release, the anytime budget, and the planner's handling.
import { freshSeed } from '@ruminate/gpu/testing';
import { describe, expect, it } from 'vitest';
import { EngineGenerator, parseStrategy, planRequest, runStrategy, type Verifier } from '../src/index.ts';
import { qalignLogAcceptance } from '../src/strategies/qalign.ts';
import { answerModel, dist, engineFor } from './scripted-models.ts';

/** Reward: the share of "A" among the generated letters. */
const shareOfA: Verifier = {
  name: 'share-of-a',
  scale: 'probability',
  verify: (input) => {
    const letters = input.text.replace(/[^AB]/g, '');
    return {
      passed: letters.length > 0,
      score: letters.length ? letters.split('A').length / (letters.length + 1) : 0,
    };
  },
};

/** Letters "A" (p = 0.3) or "B", `length` of them, then EOS; a "." ends early with p = 0.1 after the first. */
function letterModel(length = 6) {
  const vocab = ['<eos>', 'Q:', 'A', 'B', '.'];
  return {
    vocab,
    eos: [0],
    name: 'letters',
    next(tokens: readonly number[], promptLength: number) {
      const gen = tokens.slice(promptLength);
      if (gen.at(-1) === 4 || gen.length >= length) return dist(vocab, { '<eos>': 1 });
      return dist(vocab, gen.length === 0 ? { A: 0.3, B: 0.7 } : { A: 0.27, B: 0.63, '.': 0.1 });
    },
  };
}

const forkedFrom = (events: { type: string; detail?: string }[]) => {
  const m = /from (\d+), keeping (\d+) of/.exec(events.find((e) => e.type === 'forked')?.detail ?? '');
  return m ? { parent: Number(m[1]), keep: Number(m[2]) } : undefined;
};

describe('QAlign acceptance ratio', () => {
  it('is exp((r′ − r)/β) · |y|/|y′|, capped at 1', () => {
    expect(qalignLogAcceptance(0.5, 10, 0.5, 20, 1)).toBeCloseTo(Math.log(0.5), 12);
    expect(qalignLogAcceptance(0.5, 20, 0.5, 10, 1)).toBe(0);
    expect(qalignLogAcceptance(0.8, 10, 0.4, 10, 0.2)).toBeCloseTo(-2, 12);
    expect(qalignLogAcceptance(0.4, 10, 0.8, 5, 0.2)).toBe(0);
    expect(qalignLogAcceptance(0.4, 10, 0.6, 40, 0.5)).toBeCloseTo(0.4 - Math.log(4), 12);
  });

  it('never moves to a failed verification, and always leaves one', () => {
    expect(qalignLogAcceptance(0, 10, Number.NEGATIVE_INFINITY, 10, 1)).toBe(Number.NEGATIVE_INFINITY);
    expect(qalignLogAcceptance(Number.NEGATIVE_INFINITY, 10, 0, 30, 1)).toBe(0);
  });
});

describe('QAlign over the scripted engine', () => {
  it('forks each proposal from a prefix of the current state and decides it by the MH ratio', async () => {
    const seed = freshSeed();
    const engine = engineFor(letterModel());
    const r = await runStrategy(engine, {
      prompt: 'Q:',
      strategy: { name: 'qalign', samples: 24, chains: 3, beta: 0.1 },
      verifier: shareOfA,
      seed,
    });
    const byId = new Map(r.trace.map((c) => [c.id, c]));
    const proposals = r.trace.filter((c) => c.parent !== null);
    // 3 initial states + 21 proposals = 24 responses drawn.
    expect(r.trace).toHaveLength(24);
    expect(proposals).toHaveLength(21);
    for (const p of proposals) {
      const from = forkedFrom(p.events);
      expect(from?.parent).toBe(p.parent);
      const parent = byId.get(p.parent as number);
      if (!parent || !from) throw new Error(`proposal ${p.id} has no recorded parent`);
      expect(from.keep).toBeLessThanOrEqual(parent.tokens.length);
      expect(p.tokens.slice(0, from.keep)).toEqual(parent.tokens.slice(0, from.keep));
      const decisions = p.events.filter((e) => e.type === 'accepted' || e.type === 'rejected');
      expect(decisions).toHaveLength(1);
      // Recompute α from the two rewards and lengths (+1 each for EOS).
      const alpha = qalignLogAcceptance(
        parent.score as number,
        parent.tokens.length + 1,
        p.score as number,
        p.tokens.length + 1,
        0.1,
      );
      if (alpha === 0) expect(decisions[0]?.type).toBe('accepted');
      expect(decisions[0]?.detail).toContain(`cut at ${from.keep}`);
    }
    // A proposal is forked from the chain's current state: an accepted one or an initial one.
    for (const p of proposals) {
      const parent = byId.get(p.parent as number);
      const isState = parent?.parent === null || parent?.events.some((e) => e.type === 'accepted');
      expect(isState).toBe(true);
    }
    expect((r.stats.accepted ?? 0) + (r.stats.rejected ?? 0)).toBe(21);
    expect(r.stats.proposals).toBe(21);
    expect(engine.liveSequences).toBe(0);
    expect(engine.pagesUsed).toBe(0);
  });

  it('samples the tilted target p(y)·exp(r(y)/β): the share of states held follows it', async () => {
    // Two answers of equal length: π(8) = 0.25·e^(1/β) / (0.25·e^(1/β) + 0.75). At β = 1 that is
    // 0.476; with β huge the reward is ignored and the chain samples the model: 0.25.
    const model = answerModel({ '7': 0.75, '8': 0.25 });
    const share8 = async (beta: number) => {
      const r = await runStrategy(engineFor(model), {
        prompt: 'Q:',
        strategy: { name: 'qalign', samples: 1600, chains: 8, beta, burnIn: 0.05 },
        temperature: 1, // the target's p is the sampling distribution
        verifier: { exact: '8' },
        seed: freshSeed(),
      });
      const eight = r.trace.find((c) => c.answer === '8');
      return (eight?.votes ?? 0) / (r.stats.voters ?? 1);
    };
    const target = (0.25 * Math.E) / (0.25 * Math.E + 0.75);
    expect(Math.abs((await share8(1)) - target)).toBeLessThan(0.08);
    expect(Math.abs((await share8(1e9)) - 0.25)).toBeLessThan(0.08);
  });

  it('votes over the states after burn-in: a verified minority answer wins where self-consistency loses', async () => {
    // A proposal resamples the answer with p = 2/3 (a cut before it) and draws 8 with p = 1/4.
    const model = answerModel({ '7': 0.75, '8': 0.25 });
    const seed = freshSeed();
    const sc = await runStrategy(engineFor(model), { prompt: 'Q:', strategy: 'sc@32', seed });
    const q = await runStrategy(engineFor(model), {
      prompt: 'Q:',
      strategy: { name: 'qalign', samples: 96, chains: 2, beta: 0.1 },
      verifier: { exact: '8' },
      seed,
    });
    expect(sc.answer).toBe('7');
    expect(q.answer).toBe('8');
    const winner = q.trace.find((c) => c.id === q.winner);
    expect(winner?.answer).toBe('8');
    expect(winner?.votes).toBeGreaterThan((q.stats.voters ?? 0) / 2);
  });

  it('decodes proposals for every chain in one batch and spends fewer tokens than as many full samples', async () => {
    const model = answerModel({ '7': 0.5, '8': 0.5 }, { tail: 8 });
    const engine = engineFor(model);
    const r = await runStrategy(engine, {
      prompt: 'Q:',
      strategy: { name: 'qalign', samples: 16, chains: 4 },
      verifier: { exact: '8' },
      seed: 3,
    });
    expect(Math.max(...engine.stepBatchSizes)).toBe(4);
    expect(r.usage.generatedTokens).toBeLessThan(16 * 11);
    expect(r.stats.voters).toBe(4 * 3); // 4 states per chain, the first of each burnt in
  });

  it('is anytime: under a token budget N is kept and the run stops when the budget is spent', async () => {
    const strategy = parseStrategy({ name: 'qalign', samples: 64 });
    const plan = planRequest({
      strategy,
      choices: 1,
      maxTokens: 16,
      promptTokens: 2,
      budget: { tokens: 100 },
      seed: 1,
    });
    expect(plan.n).toBe(64);
    expect(plan.notes.join(' ')).toContain('anytime');
    expect(plan.batchWidth).toBe(4); // its chains, not the planner's wave width
    const eight = planRequest({
      strategy: parseStrategy({ name: 'qalign', samples: 32, chains: 8 }),
      choices: 1,
      maxTokens: 16,
      promptTokens: 2,
      seed: 1,
    });
    expect(eight.batchWidth).toBe(8);
    const engine = engineFor(answerModel({ '7': 0.5, '8': 0.5 }, { tail: 8 }));
    const r = await runStrategy(engine, {
      prompt: 'Q:',
      strategy: { name: 'qalign', samples: 64, chains: 4 },
      maxTokens: 16,
      budget: { tokens: 100 },
      verifier: { exact: '8' },
      seed: 5,
    });
    expect(r.usage.generatedTokens).toBeGreaterThanOrEqual(100);
    expect(r.usage.generatedTokens).toBeLessThan(100 + 4 * 16);
    expect(r.stats.proposals).toBeLessThan(60);
    // A proposal the budget cut short is not a draw from the model: never accepted.
    for (const c of r.trace.filter((t) =>
      t.events.some((e) => e.detail === 'the budget ended it mid-proposal'),
    ))
      expect(c.events.some((e) => e.type === 'accepted')).toBe(false);
    expect(engine.liveSequences).toBe(0);
  });

  it('rejects bad parameters naming the field', async () => {
    const engine = engineFor(letterModel());
    for (const [params, field] of [
      [{ beta: 0 }, 'strategy.beta'],
      [{ chains: 0 }, 'strategy.chains'],
      [{ burnIn: 1 }, 'strategy.burnIn'],
    ] as const) {
      await expect(
        runStrategy(engine, { prompt: 'Q:', strategy: { name: 'qalign', samples: 8, ...params }, seed: 1 }),
      ).rejects.toMatchObject({ code: 'invalid-argument', field });
    }
  });
});

describe('Generator.forkAt', () => {
  it('forks a kept sequence at a prefix (KV shared, the rest rolled back) and re-appends a released one', async () => {
    const engine = engineFor(letterModel(6));
    const gen = new EngineGenerator(engine, { sampling: { temperature: 1 }, maxTokens: 16, seed: 9 });
    const root = await gen.create(await engine.tokenize('Q:'));
    const [kept, released] = await gen.fork(root, 2);
    if (!kept || !released) throw new Error('fork gave no branches');
    await gen.extend([kept], { keep: true });
    await gen.extend([released]);
    expect(kept.seq).toBeDefined();
    expect(released.seq).toBeUndefined();
    for (const source of [kept, released]) {
      const child = await gen.forkAt(source, 2);
      expect(child.tokens).toEqual(source.tokens.slice(0, 2));
      expect(child.text).toBe(await engine.detokenize(source.tokens.slice(0, 2)));
      expect(await engine.tokens(child.seq as number)).toEqual([
        ...(await engine.tokenize('Q:')),
        ...source.tokens.slice(0, 2),
      ]);
      await gen.extend([child]);
      expect(child.finished).toBe(true);
      expect(child.tokens.slice(0, 2)).toEqual(source.tokens.slice(0, 2));
    }
    await gen.freeAll();
    expect(engine.liveSequences).toBe(0);
  });
});
