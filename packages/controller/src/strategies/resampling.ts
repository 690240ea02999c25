// Resampling for particle filtering (Douc & Cappé 2005, "Comparison of resampling schemes for
// particle filtering"): draw N indices with probabilities proportional to the weights.

/** Normalised probabilities softmax(logWeights); −Infinity gets 0; all −Infinity gives uniform. */
export function softmax(logWeights: readonly number[]): number[] {
  const max = Math.max(...logWeights);
  if (!Number.isFinite(max)) return logWeights.map(() => 1 / logWeights.length);
  const e = logWeights.map((w) => Math.exp(w - max));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

/** N independent draws from the categorical distribution `probs`. */
export function multinomialResample(probs: readonly number[], count: number, rng: () => number): number[] {
  const cdf = cumulative(probs);
  return Array.from({ length: count }, () => search(cdf, rng()));
}

/** Systematic resampling: one uniform offset u ∈ [0, 1/N), then the points u + i/N through the CDF. */
export function systematicResample(probs: readonly number[], count: number, rng: () => number): number[] {
  const cdf = cumulative(probs);
  const u = rng() / count;
  return Array.from({ length: count }, (_, i) => search(cdf, u + i / count));
}

function cumulative(probs: readonly number[]): number[] {
  const out: number[] = [];
  let s = 0;
  for (const p of probs) {
    s += p;
    out.push(s);
  }
  return out.map((x) => x / s);
}

function search(cdf: readonly number[], u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < (cdf[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
