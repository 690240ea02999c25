// The Beta stopping rule of adaptive self-consistency (Aggarwal et al. 2023, "Let's Sample Step
// by Step"): with v1, v2 the counts of the two most frequent answers, the leading answer's share
// p has posterior Beta(v1 + 1, v2 + 1) under a uniform prior; stop once P(p > 0.5) =
// 1 − I_{0.5}(v1 + 1, v2 + 1) reaches the confidence level.

/** log C(n, k). */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/**
 * The regularised incomplete beta function I_{1/2}(a, b) for positive integers a, b, exactly:
 * I_x(a, b) = P(Binomial(a + b − 1, x) ≥ a).
 */
export function incompleteBetaHalf(a: number, b: number): number {
  const n = a + b - 1;
  let sum = 0;
  for (let j = a; j <= n; j++) sum += Math.exp(logChoose(n, j) - n * Math.LN2);
  return Math.min(1, sum);
}

/** P(leading answer's share > 1/2) given vote counts v1 ≥ v2 of the two most frequent answers. */
export function betaStopProbability(v1: number, v2: number): number {
  return 1 - incompleteBetaHalf(v1 + 1, v2 + 1);
}
