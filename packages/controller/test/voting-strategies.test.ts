import { freshSeed } from '@ruminate/gpu/testing';
import { describe, expect, it } from 'vitest';
import {
  betaStopProbability,
  exactMatch,
  incompleteBetaHalf,
  lowestGroupConfidence,
  percentile,
  runStrategy,
  tallyVotes,
  type Verifier,
  voteDecided,
} from '../src/index.ts';
import { answerModel, engineFor } from './scripted-models.ts';

const mode = (answers: (string | null)[]) => {
  const counts = new Map<string, number>();
  for (const a of answers) if (a !== null) counts.set(a, (counts.get(a) ?? 0) + 1);
  return [...counts.entries()].sort((x, y) => y[1] - x[1])[0]?.[0];
};

describe('self-consistency', () => {
  it('majority vote returns the mode of the extracted answers (fresh seed)', async () => {
    const seed = freshSeed();
    const engine = engineFor(answerModel({ '42': 0.45, '17': 0.35, '5': 0.2 }, { tail: 1 }));
    const r = await runStrategy(engine, { prompt: 'Q:', strategy: 'sc@24', seed });
    const answers = r.trace.map((c) => c.answer);
    expect(
      answers.every((a) => a === '42' || a === '17' || a === '5'),
      `seed ${seed}`,
    ).toBe(true);
    const counts = new Map<string, number>();
    for (const a of answers) counts.set(a as string, (counts.get(a as string) ?? 0) + 1);
    const top = Math.max(...counts.values());
    // The winner has the top count (ties: the answer seen first).
    expect(counts.get(r.answer as string), `seed ${seed}`).toBe(top);
    expect(r.answer, `seed ${seed}`).toBe(answers.find((a) => counts.get(a as string) === top));
    expect(r.text).toContain(r.answer as string);
    expect(r.trace.find((c) => c.id === r.winner)?.votes).toBe(top);
    expect(engine.liveSequences).toBe(0);
  });

  it('tallyVotes: counts, weights, ties to the first seen, nulls abstain', () => {
    expect(tallyVotes(['a', 'b', 'b', null, 'a', 'b']).answer).toBe('b');
    expect(tallyVotes(['a', 'b', 'b', 'a']).answer).toBe('a');
    expect(tallyVotes(['a', 'b', 'b'], [5, 1, 1]).answer).toBe('a');
    expect(tallyVotes([null, null]).answer).toBeNull();
  });

  it('weighted SC follows the verifier weights where plain SC follows the count', async () => {
    const model = answerModel({ '42': 0.7, '17': 0.3 });
    const trust17: Verifier = {
      name: 'trust-17',
      scale: 'probability',
      verify: (input) => ({ passed: true, score: input.text.includes('17') ? 1 : 0.1 }),
    };
    const sc = await runStrategy(engineFor(model), { prompt: 'Q:', strategy: 'sc@20', seed: 11 });
    const wsc = await runStrategy(engineFor(model), {
      prompt: 'Q:',
      strategy: 'wsc@20',
      seed: 11,
      verifier: trust17,
    });
    const n17 = sc.trace.filter((c) => c.answer === '17').length;
    const n42 = sc.trace.filter((c) => c.answer === '42').length;
    expect(n42).toBeGreaterThan(n17); // seed 11 draws the majority as the distribution says
    expect(n17 * 1).toBeGreaterThan(n42 * 0.1);
    expect(sc.answer).toBe('42');
    expect(wsc.answer).toBe('17');
    expect(wsc.trace.find((c) => c.answer === '17')?.votes).toBeCloseTo(n17, 10);
  });
});

describe('best-of-N', () => {
  it('picks a candidate the verifier passes, and abstains when none passes (if asked)', async () => {
    const model = answerModel({ '42': 0.6, '17': 0.3, '5': 0.1 });
    const r = await runStrategy(engineFor(model), {
      prompt: 'Q:',
      strategy: 'bon@16',
      seed: 2,
      verifier: { exact: '5' },
    });
    expect(r.trace.some((c) => c.answer === null && c.text.includes('5'))).toBe(true);
    expect(r.text).toBe('The answer is 5');
    expect(r.trace.find((c) => c.id === r.winner)?.passed).toBe(true);
    const none = await runStrategy(engineFor(model), {
      prompt: 'Q:',
      strategy: { name: 'bon', samples: 8, abstain: true },
      seed: 2,
      verifier: exactMatch('99'),
    });
    expect(none.abstained).toBe(true);
    expect(none.winner).toBeNull();
    expect(none.choices).toEqual([]);
    expect(none.trace.every((c) => c.passed === false)).toBe(true);
    const fallback = await runStrategy(engineFor(model), {
      prompt: 'Q:',
      strategy: 'bon@8',
      seed: 2,
      verifier: exactMatch('99'),
    });
    expect(fallback.abstained).toBe(false);
    expect(fallback.winner).not.toBeNull();
  });

  it('ranks by score with the default mean-logprob verifier (the most likely answer wins)', async () => {
    const r = await runStrategy(engineFor(answerModel({ '42': 0.6, '17': 0.4 })), {
      prompt: 'Q:',
      strategy: 'bon@8',
      seed: 4,
    });
    const scores = r.trace.map((c) => c.score ?? Number.NEGATIVE_INFINITY);
    expect(r.trace.find((c) => c.id === r.winner)?.score).toBe(Math.max(...scores));
    expect(r.text).toBe('The answer is 42');
  });

  it('a verifier that throws, never resolves, or returns garbage fails the candidate without stalling', async () => {
    const model = answerModel({ '42': 1 });
    const hangs: Verifier = { name: 'hangs', scale: 'probability', verify: () => new Promise(() => {}) };
    const throws: Verifier = {
      name: 'throws',
      scale: 'probability',
      verify: () => {
        throw new Error('boom');
      },
    };
    for (const verifier of [hangs, throws]) {
      const r = await runStrategy(engineFor(model), {
        prompt: 'Q:',
        strategy: { name: 'bon', samples: 3, abstain: true },
        seed: 1,
        verifier,
        verifierTimeoutMs: 30,
      });
      expect(r.abstained).toBe(true);
      expect(r.trace.every((c) => c.passed === false)).toBe(true);
      const detail = r.trace[0]?.events.find((e) => e.type === 'scored')?.detail ?? '';
      expect(detail).toMatch(verifier === hangs ? /timed out after 30 ms/ : /threw: boom/);
    }
  });
});

describe('adaptive self-consistency', () => {
  it('Beta rule: exact incomplete beta at 1/2 and the stopping probability', () => {
    // I_{1/2}(a, b) = P(Bin(a+b-1, 1/2) ≥ a): I(3,1) = 1/8, I(2,2) = 1/2, I(1,1) = 1/2.
    expect(incompleteBetaHalf(3, 1)).toBeCloseTo(1 / 8, 14);
    expect(incompleteBetaHalf(2, 2)).toBeCloseTo(1 / 2, 14);
    expect(incompleteBetaHalf(1, 1)).toBeCloseTo(1 / 2, 14);
    // P(p > 1/2 | 5 vs 1) = 1 − I(6, 2) = 1 − (C(7,6) + C(7,7)) / 128.
    expect(betaStopProbability(5, 1)).toBeCloseTo(1 - 8 / 128, 14);
    expect(voteDecided(['a', 'a'], 'beta', 0.95)).toBe(false);
    expect(voteDecided(['a', 'a', 'a', 'a', 'a', 'a'], 'beta', 0.95)).toBe(true);
  });

  // The Beta rule at 0.95 with doubling batches 2, 4, 8, … (the defaults before the dev-set choice).
  const beta95 = { rule: 'beta', level: 0.95, batch: 2, growth: 'double' };

  it('stops after 2 + 4 samples on a unanimous model and reports 10 of 16 saved', async () => {
    const r = await runStrategy(engineFor(answerModel({ '42': 1 })), {
      prompt: 'Q:',
      strategy: { name: 'asc', samples: 16, ...beta95 },
      seed: 9,
    });
    // After 2: P = 1 − 1/8 < 0.95; after 6: P = 1 − 1/128 ≥ 0.95.
    expect(r.trace).toHaveLength(6);
    expect(r.stats.samplesDrawn).toBe(6);
    expect(r.stats.samplesSaved).toBe(10);
    expect(r.answer).toBe('42');
  });

  it('stops exactly at the first batch boundary where the rule holds (fresh seed)', async () => {
    const seed = freshSeed();
    const r = await runStrategy(engineFor(answerModel({ '42': 0.7, '17': 0.3 })), {
      prompt: 'Q:',
      strategy: { name: 'asc', samples: 30, ...beta95 },
      seed,
    });
    const answers = r.trace.map((c) => c.answer);
    const boundaries = [2, 6, 14, 30];
    const stop = boundaries.find((k) => voteDecided(answers.slice(0, k), 'beta', 0.95) || k >= 30);
    expect(answers.length, `seed ${seed}`).toBe(stop);
    expect(r.stats.samplesSaved, `seed ${seed}`).toBe(30 - (stop as number));
    expect(r.answer, `seed ${seed}`).toBe(mode(answers));
  });

  it('share rule at 0.75', async () => {
    const r = await runStrategy(engineFor(answerModel({ '42': 1 })), {
      prompt: 'Q:',
      strategy: { name: 'asc', samples: 16, rule: 'share', level: 0.75, batch: 2 },
      seed: 1,
    });
    expect(r.stats.samplesDrawn).toBe(2);
  });
});

describe('DeepConf', () => {
  const model = answerModel({ '17': 0.6, '42': 0.4 }, { tail: 12, confident: ['42'] });

  it('sets the threshold from the warm-up, stops low-confidence traces early, and votes by confidence', async () => {
    const seed = 21;
    const r = await runStrategy(engineFor(model), {
      prompt: 'Q:',
      strategy: { name: 'deepconf', samples: 16, warmup: 6, keep: 0.5, window: 4 },
      seed,
    });
    const warm = r.trace.slice(0, 6);
    const online = r.trace.slice(6);
    // The 17 traces (uniform tail) have low confidence, the 42 traces high: the warm-up must hold both.
    expect(new Set(warm.map((c) => c.text.slice(14, 16)))).toEqual(new Set(['17', '42']));
    const warmScores = warm.map((c) => c.score as number);
    expect(r.stats.threshold).toBeCloseTo(percentile(warmScores, 0.5), 12);
    for (const c of online) {
      if (c.text.startsWith('The answer is 17')) {
        // Stopped as soon as one window (4 tokens) of the uniform tail fell below the threshold.
        expect(c.finishReason).toBe('pruned');
        expect(c.tokens.length).toBeLessThan(2 + 12);
        expect(c.events.some((e) => e.type === 'stopped')).toBe(true);
      } else {
        expect(c.finishReason).toBe('eos');
        expect(c.tokens.length).toBe(2 + 12);
      }
    }
    expect(r.stats.stoppedEarly).toBe(online.filter((c) => c.text.startsWith('The answer is 17')).length);
    expect(r.stats.stoppedEarly).toBeGreaterThan(0);
    // Plain majority would say 17 (60%); confidence filtering says 42.
    expect(r.answer).toBe('42');
  });

  it('with consensus, stops drawing once the confidence-weighted vote is decided', async () => {
    const easy = answerModel({ '42': 0.9, '17': 0.1 }, { tail: 6, confident: ['42', '17'] });
    const r = await runStrategy(engineFor(easy, {}), {
      prompt: 'Q:',
      strategy: { name: 'deepconf', samples: 32, warmup: 4, keep: 0.9, window: 4, consensus: 0.6 },
      seed: 3,
    });
    const warmShare = r.trace.slice(0, 4).filter((c) => c.text.includes('42')).length / 4;
    expect(warmShare).toBeGreaterThanOrEqual(0.75); // seed 3 draws mostly 42, as the model says
    expect(r.stats.consensusReached).toBe(1);
    expect(r.stats.samplesDrawn).toBeLessThan(32);
    expect(r.trace).toHaveLength(r.stats.samplesDrawn as number);
    expect(r.answer).toBe('42');
    const off = await runStrategy(engineFor(easy), {
      prompt: 'Q:',
      strategy: { name: 'deepconf', samples: 32, warmup: 4, keep: 0.9, window: 4 },
      seed: 3,
    });
    expect(off.stats.samplesDrawn).toBe(32);
  });

  it('confidence helpers: lowest sliding-window mean and percentile', () => {
    expect(lowestGroupConfidence([5, 5, 1, 1, 5], 2)).toBe(1);
    expect(lowestGroupConfidence([4, 2], 8)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(percentile([1, 2, 3, 4], 0.1)).toBeCloseTo(1.3, 12);
  });
});
