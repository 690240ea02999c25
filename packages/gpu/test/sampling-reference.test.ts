import { describe, expect, it } from 'vitest';
import { philox4x32_10, streamUniform } from '../src/ops/sampling/philox.ts';
import { packSamplerParams, samplerCandidatesFor } from '../src/ops/sampling/sampler-params.ts';
import { sampleReference } from '../src/ops/sampling/sampler-reference.ts';
import { freshSeed, randomF32, seededRandom } from '../src/testing/index.ts';

describe('Philox4x32-10 (CPU)', () => {
  it("matches Random123's known-answer vectors", () => {
    // Random123 tests/kat_vectors, philox4x32 with 10 rounds.
    expect(philox4x32_10([0, 0, 0, 0], [0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(philox4x32_10([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])).toEqual(
      [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
    );
    expect(philox4x32_10([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])).toEqual(
      [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    );
  });

  it('gives uniforms strictly inside (0, 1) with mean 1/2', () => {
    let sum = 0;
    const n = 20000;
    for (let t = 0; t < n; t++) {
      const u = streamUniform([7, 0], 3, 11, t);
      expect(u > 0 && u < 1).toBe(true);
      sum += u;
    }
    // standard error of the mean of n uniforms is 1/sqrt(12n) ≈ 0.002; 5 sigma
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
  });
});

describe('sampler reference and packing', () => {
  it('rejects bad parameters with typed errors naming the field', () => {
    expect(() => packSamplerParams([{ temperature: 1, sequence: 0, position: 0, topK: 300 }], 100)).toThrow(
      /topK/,
    );
    expect(() =>
      packSamplerParams([{ temperature: 1, sequence: 0, position: 0, forceToken: 100 }], 100),
    ).toThrow(/forceToken/);
    expect(() =>
      packSamplerParams([{ temperature: 1, sequence: 0, position: 0, bannedTokens: [-1] }], 100),
    ).toThrow(/bannedTokens/);
    expect(() => packSamplerParams([{ temperature: 1, sequence: 0, position: 0, seed: 1.5 }], 100)).toThrow(
      /seed/,
    );
  });

  it('computes entropy, self-certainty and log-probabilities of the raw softmax', () => {
    const seed = freshSeed();
    const rand = seededRandom(seed);
    const logits = randomF32(500, rand, -4, 4);
    const r = sampleReference(logits, { temperature: 0, sequence: 0, position: 0 });
    const z = logits.reduce((s, x) => s + Math.exp(x), 0);
    const p = Array.from(logits, (x) => Math.exp(x) / z);
    const h = -p.reduce((s, q) => s + q * Math.log(q), 0);
    const sc = p.reduce((s, q) => s + Math.log(500 * q), 0) / 500;
    expect(r.entropy, `seed ${seed}`).toBeCloseTo(h, 10);
    expect(r.selfCertainty, `seed ${seed}`).toBeCloseTo(sc, 10);
    const best = p.indexOf(Math.max(...p));
    expect(r.token).toBe(best);
    expect(r.logprob).toBeCloseTo(Math.log(p[best] as number), 10);
    expect(r.top[0]?.token).toBe(best);
  });

  it('applies llama.cpp penalties, bans and the filter order', () => {
    const logits = new Float32Array([3, 2, 1, -1, 0.5]);
    const counts = new Map([
      [0, 2],
      [3, 1],
    ]);
    const r = sampleReference(logits, {
      temperature: 0,
      sequence: 0,
      position: 0,
      repetitionPenalty: 2,
      frequencyPenalty: 0.1,
      presencePenalty: 0.5,
      tokenCounts: counts,
      bannedTokens: [1],
    });
    // token 0: 3/2 − 0.2 − 0.5 = 0.8 → the argmax is token 2 (1.0) since token 1 is banned.
    expect(r.token).toBe(2);
    // top-k 2 keeps tokens 2 and 0 (0.8); min-p 0.9 keeps those with p ≥ 0.9·p(2): e^(0.8−1) = 0.82 < 0.9.
    const s = sampleReference(logits, {
      temperature: 1,
      sequence: 0,
      position: 0,
      topK: 2,
      minP: 0.9,
      repetitionPenalty: 2,
      frequencyPenalty: 0.1,
      presencePenalty: 0.5,
      tokenCounts: counts,
      bannedTokens: [1],
    });
    expect([...s.distribution.keys()]).toEqual([2]);
  });

  it('picks the smallest candidate cap a batch needs', () => {
    const base = { sequence: 0, position: 0 };
    expect(
      samplerCandidatesFor(
        [
          { ...base, temperature: 0 },
          { ...base, temperature: 0.7, minP: 0.1 },
        ],
        false,
      ),
    ).toBe(1);
    expect(samplerCandidatesFor([{ ...base, temperature: 0 }], true)).toBe(32);
    expect(samplerCandidatesFor([{ ...base, temperature: 1, topK: 40 }], false)).toBe(64);
    expect(samplerCandidatesFor([{ ...base, temperature: 1, topP: 0.9 }], false)).toBe(256);
    // A forced or greedy row's top-p does not matter.
    const greedy = [{ ...base, temperature: 0, topP: 0.9 }];
    expect(samplerCandidatesFor(greedy, false)).toBe(1);
    expect(() => packSamplerParams(greedy, 10, 1)).not.toThrow();
    expect(() => packSamplerParams([{ ...base, temperature: 1, topP: 0.9 }], 10, 1)).toThrow(/topP/);
  });
});
