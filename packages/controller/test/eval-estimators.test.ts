// The evaluation estimators against independent references: Wilson intervals against their
// closed forms and their exact binomial coverage, the unbiased pass@k (Chen et al. 2021) against
// a brute-force enumeration of every k-subset, subsetMean exact at k = n and close to the exact
// all-subsets mean below it, and majority voting's tie and null rules.
import { freshSeed, seededRandom } from '@ruminate/gpu/testing';
import { describe, expect, it } from 'vitest';
import { majority, passAtK, subsetMean, wilson } from '../src/index.ts';

const Z = 1.959964;

/** Every k-subset of the indices 0..n−1 (lexicographic). */
function* subsets(n: number, k: number, start = 0, acc: number[] = []): Generator<number[]> {
  if (acc.length === k) {
    yield [...acc];
    return;
  }
  for (let i = start; i <= n - (k - acc.length); i++) {
    acc.push(i);
    yield* subsets(n, k, i + 1, acc);
    acc.pop();
  }
}

/** log C(n, k) in float64. */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

describe('wilson', () => {
  it('matches the closed forms at the edges and is symmetric', () => {
    for (const n of [1, 7, 50, 500]) {
      const [lo0, hi0] = wilson(0, n);
      expect(lo0).toBeCloseTo(0, 12);
      expect(hi0).toBeCloseTo((Z * Z) / (n + Z * Z), 12);
      const [loN, hiN] = wilson(n, n);
      expect(hiN).toBeCloseTo(1, 12);
      expect(loN).toBeCloseTo(n / (n + Z * Z), 12);
      for (let c = 0; c <= n; c += Math.max(1, Math.floor(n / 9))) {
        const [lo, hi] = wilson(c, n);
        const [mlo, mhi] = wilson(n - c, n);
        expect(lo).toBeCloseTo(1 - mhi, 12);
        expect(hi).toBeCloseTo(1 - mlo, 12);
        // 1e-12: at c = n the float64 upper end is 1 − 1 ulp.
        expect(lo).toBeLessThanOrEqual(c / n + 1e-12);
        expect(hi).toBeGreaterThanOrEqual(c / n - 1e-12);
      }
    }
    expect(wilson(0, 0)).toEqual([0, 1]);
  });

  it('covers the true proportion about 95% of the time (exact binomial sum)', () => {
    // Wilson's interval is not exact: its coverage oscillates around 95%; within ±3 points at
    // these n and p is the textbook behaviour (Brown, Cai & DasGupta 2001, Fig. 4).
    for (const [n, p] of [
      [50, 0.3],
      [100, 0.62],
      [200, 0.9],
    ] as const) {
      let coverage = 0;
      for (let c = 0; c <= n; c++) {
        const [lo, hi] = wilson(c, n);
        if (lo <= p && p <= hi)
          coverage += Math.exp(logChoose(n, c) + c * Math.log(p) + (n - c) * Math.log(1 - p));
      }
      expect(coverage, `n=${n} p=${p}`).toBeGreaterThan(0.92);
      expect(coverage, `n=${n} p=${p}`).toBeLessThan(0.98);
    }
  });
});

describe('passAtK', () => {
  it('equals the fraction of k-subsets holding a correct sample (every n ≤ 9, c, k)', () => {
    for (let n = 1; n <= 9; n++) {
      for (let c = 0; c <= n; c++) {
        for (let k = 1; k <= n; k++) {
          let hit = 0;
          let all = 0;
          for (const s of subsets(n, k)) {
            all++;
            if (s.some((i) => i < c)) hit++;
          }
          // float64 product of ≤ 9 factors against an exact ratio of integers.
          expect(passAtK(n, c, k), `n=${n} c=${c} k=${k}`).toBeCloseTo(hit / all, 12);
        }
      }
    }
  });
});

describe('subsetMean', () => {
  it('is exact at k = n (the score of the whole pool, never a random draw)', () => {
    const pool = [3, 1, 4, 1, 5];
    let calls = 0;
    const rand = () => {
      throw new Error('k = n must not draw');
    };
    const v = subsetMean(
      pool,
      5,
      (s) => {
        calls++;
        return s.reduce((a, b) => a + b, 0);
      },
      rand,
    );
    expect(v).toBe(14);
    expect(calls).toBe(1);
  });

  it('estimates the all-subsets mean of a majority vote below k = n', () => {
    const seed = freshSeed();
    const rand = seededRandom(seed);
    const answers = ['7', '7', '3', '7', null, '3', '3', '3', '9', '7', '3', '1'];
    const truth = '3';
    const k = 4;
    const score = (s: (string | null)[]) => (majority(s) === truth ? 1 : 0);
    let exact = 0;
    let all = 0;
    for (const s of subsets(answers.length, k)) {
      all++;
      exact += score(s.map((i) => answers[i] as string | null));
    }
    exact /= all;
    const est = subsetMean(answers, k, score, rand, 4000);
    // 4000 Bernoulli draws: standard error ≤ 0.008, so 0.04 is five standard errors.
    expect(Math.abs(est - exact), `seed ${seed}: estimate ${est} vs exact ${exact}`).toBeLessThan(0.04);
    // Subsets keep the pool's order (the tie rule of majority depends on it).
    const seen: string[][] = [];
    const record = (s: string[]) => {
      seen.push(s);
      return 0;
    };
    subsetMean(['a', 'b', 'c', 'd'], 2, record, rand, 20);
    for (const s of seen) expect([...s].sort()).toEqual(s);
  });
});

describe('majority', () => {
  it('takes the mode, skips nulls, and breaks ties by first reaching the top count', () => {
    expect(majority(['1', '2', '2', '3'])).toBe('2');
    expect(majority([null, null, '5'])).toBe('5');
    expect(majority([null, null])).toBeNull();
    expect(majority([])).toBeNull();
    expect(majority(['a', 'b', 'b', 'a'])).toBe('b');
    expect(majority(['a', 'b'])).toBe('a');
  });
});
