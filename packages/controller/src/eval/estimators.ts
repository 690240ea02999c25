// Estimators for evaluations: Wilson intervals for accuracies, the unbiased pass@k of Chen et
// al. 2021 ("Evaluating Large Language Models Trained on Code"), and Monte Carlo estimates of a
// strategy's accuracy at k samples from a larger pool (the mean over random k-subsets of the
// pool is an unbiased estimate of the strategy run on k fresh samples).

/** 95% Wilson score interval for `correct` successes in `n` trials. */
export function wilson(correct: number, n: number, z = 1.959964): [number, number] {
  if (n === 0) return [0, 1];
  const p = correct / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Unbiased pass@k from n samples with c correct: 1 − C(n−c, k)/C(n, k) = 1 − Π_{i=n−c+1..n} (1 − k/i). */
export function passAtK(n: number, c: number, k: number): number {
  if (n - c < k) return 1;
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}

/** Mean of `score` over `draws` random k-subsets (without replacement) of `pool`; exact when k = n. */
export function subsetMean<T>(
  pool: readonly T[],
  k: number,
  score: (subset: T[]) => number,
  rand: () => number,
  draws = 200,
): number {
  if (k >= pool.length) return score([...pool]);
  let sum = 0;
  const idx = pool.map((_, i) => i);
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rand() * (idx.length - i));
      [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
    }
    sum += score(
      idx
        .slice(0, k)
        .sort((a, b) => a - b)
        .map((i) => pool[i] as T),
    );
  }
  return sum / draws;
}

/** The most frequent non-null answer (ties: the one seen first), or null. */
export function majority(answers: readonly (string | null)[]): string | null {
  const counts = new Map<string, number>();
  let best: string | null = null;
  let bestCount = 0;
  for (const a of answers) {
    if (a === null) continue;
    const c = (counts.get(a) ?? 0) + 1;
    counts.set(a, c);
    if (c > bestCount) {
      best = a;
      bestCount = c;
    }
  }
  return best;
}
