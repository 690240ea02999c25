// client.batch: a shared token budget spent by estimated difficulty (compute-optimal) or evenly,
// on scripted models where some prompts are easy and some hard.
import { describe, expect, it } from 'vitest';
import {
  createEngine,
  nextRound,
  proportionalSplit,
  ScriptedEngine,
  type ScriptedModel,
  type Verifier,
} from '../src/index.ts';
import { dist } from './scripted-models.ts';

const VOCAB = ['<eos>', 'easy', 'hard', 'The answer is ', 'R', 'W', ' ok'];

/** "easy" prompts answer R (right) with p = 0.95; "hard" ones with p = 0.1; then " ok" ×2 and EOS. */
const mixedModel: ScriptedModel = {
  vocab: VOCAB,
  eos: [0],
  name: 'mixed',
  next(tokens, promptLength) {
    const gen = tokens.slice(promptLength);
    const hard = tokens.slice(0, promptLength).includes(2);
    if (gen.length === 0) return dist(VOCAB, { 'The answer is ': 1 });
    if (gen.length === 1) return dist(VOCAB, hard ? { R: 0.1, W: 0.9 } : { R: 0.95, W: 0.05 });
    if (gen.length < 4) return dist(VOCAB, { ' ok': 1 });
    return dist(VOCAB, { '<eos>': 1 });
  },
};

/** Passes an answer of R: a checker that sees the work, not a reference. */
const checksR: Verifier = {
  name: 'checks-r',
  scale: 'probability',
  verify: (input) => ({ passed: input.text.includes('R'), score: input.text.includes('R') ? 1 : 0 }),
};

const PROMPTS = [...Array(8).fill('easy'), ...Array(4).fill('hard')] as string[];
const answer = { mode: 'regex' as const, pattern: 'is ([RW])' };

describe('allocation', () => {
  it('splits whole samples in proportion to difficulty, none to a solved prompt', () => {
    expect(proportionalSplit([0.5, 0.25, 0.25, 0], 8)).toEqual([4, 2, 2, 0]);
    expect(proportionalSplit([1, 1, 1], 4).reduce((a, b) => a + b, 0)).toBe(4);
    expect(proportionalSplit([0, 0], 5)).toEqual([0, 0]);
  });

  it('gives the next round to open prompts within the tokens left; uniform keeps each to its share', () => {
    const states = [
      { samples: 2, tokens: 10, difficulty: 0 },
      { samples: 2, tokens: 10, difficulty: 1 },
      { samples: 2, tokens: 10, difficulty: 0.5 },
    ];
    const limits = {
      remainingTokens: 30,
      tokensPerSample: 5,
      maxSamplesPerPrompt: 64,
      roundSamples: 4,
      shareTokens: 20,
    };
    const opt = nextRound('compute-optimal', states, limits);
    expect(opt[0]).toBe(0);
    expect(opt[1]).toBeGreaterThan(opt[2] as number);
    expect(opt.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(6);
    expect(nextRound('uniform', states, limits)).toEqual([2, 2, 2]);
    expect(nextRound('compute-optimal', states, { ...limits, remainingTokens: 4 })).toEqual([0, 0, 0]);
  });
});

describe('client.batch', () => {
  it('spends the budget on the hard prompts and solves more of them than a uniform split of the same budget', async () => {
    const client = await createEngine({ engine: new ScriptedEngine(mixedModel) });
    const budget = { tokens: 12 * 6 * 5 }; // six 5-token samples per prompt on average
    let solvedOpt = 0;
    let solvedUni = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const common = { budget, verifier: checksR, answer, seed, maxTokens: 8 };
      const opt = await client.batch(PROMPTS, common);
      const uni = await client.batch(PROMPTS, { ...common, allocation: 'uniform' });
      const hardSamples = (r: typeof opt) => r.items.slice(8).reduce((a, x) => a + x.samples, 0);
      // More samples for the hard prompts, unless every prompt was solved for fewer tokens.
      expect(hardSamples(opt) > hardSamples(uni) || opt.tokens < uni.tokens).toBe(true);
      // Easy prompts solved by the probe get nothing more.
      for (const item of opt.items.slice(0, 8)) if (item.probeDifficulty === 0) expect(item.samples).toBe(2);
      expect(uni.items.every((x) => x.samples === 6)).toBe(true);
      // Both stay within one round of the budget.
      for (const r of [opt, uni]) expect(r.tokens).toBeLessThanOrEqual(budget.tokens + 4 * 5 * 4);
      solvedOpt += opt.items.filter((x) => x.answer === 'r').length;
      solvedUni += uni.items.filter((x) => x.answer === 'r').length;
    }
    expect(solvedOpt).toBeGreaterThan(solvedUni);
  });

  it('without a verifier it estimates difficulty from agreement and answers by majority', async () => {
    const client = await createEngine({ engine: new ScriptedEngine(mixedModel) });
    const r = await client.batch(PROMPTS, {
      budget: { tokens: 200 },
      answer,
      seed: 3,
      maxTokens: 8,
      probe: 3,
    });
    expect(r.items.every((x) => x.passed === null)).toBe(true);
    for (const x of r.items) expect(x.difficulty).toBeGreaterThanOrEqual(0);
    const easy = r.items.slice(0, 8);
    expect(easy.filter((x) => x.answer === 'r').length).toBeGreaterThanOrEqual(7);
    const agreeing = r.items.filter((x) => x.probeDifficulty === 0);
    for (const x of agreeing) expect(x.samples).toBe(3);
  });

  it('rejects a missing budget, no prompts and an unknown policy, naming the field', async () => {
    const client = await createEngine({ engine: new ScriptedEngine(mixedModel) });
    await expect(client.batch(PROMPTS, { budget: { tokens: 0 } })).rejects.toMatchObject({
      field: 'budget.tokens',
    });
    await expect(client.batch([], { budget: { tokens: 10 } })).rejects.toMatchObject({ field: 'prompts' });
    await expect(
      // biome-ignore lint/suspicious/noExplicitAny: a value the type forbids
      client.batch(PROMPTS, { budget: { tokens: 10 }, allocation: 'greedy' as any }),
    ).rejects.toMatchObject({ code: 'invalid-argument', field: 'allocation' });
  });
});
