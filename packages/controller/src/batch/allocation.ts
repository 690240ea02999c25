// How a shared token budget is split across prompts. Compute-optimal allocation follows "Scaling
// LLM Test-Time Compute Optimally can be More Effective than Scaling Model Parameters" (Snell et
// al. 2024): estimate each prompt's difficulty from a few samples, then spend little on easy
// prompts and more on hard ones. Here difficulty is 1 − the best verifier weight among a prompt's
// samples (a verified answer makes it easy: it is solved) or, without a verifier, 1 − the leading
// answer's share of the votes (samples that agree make it easy). Each round gives the next
// samples to the prompts still open, in proportion to their difficulty. The uniform split gives
// every prompt the same share of the tokens.

/** What the allocator knows of one prompt after its samples so far. */
export interface PromptState {
  /** Samples drawn. */
  samples: number;
  /** Tokens those samples generated. */
  tokens: number;
  /** Estimated difficulty in [0, 1]; 0 means nothing more to gain. */
  difficulty: number;
}

/** How the budget is split: by estimated difficulty, or evenly. */
export type AllocationPolicy = 'compute-optimal' | 'uniform';

/** Limits every allocation respects. */
export interface AllocationLimits {
  /** Tokens left in the shared budget. */
  remainingTokens: number;
  /** Expected tokens of one more sample (the mean so far). */
  tokensPerSample: number;
  /** Most samples any prompt may draw in all. */
  maxSamplesPerPrompt: number;
  /** Most samples one prompt gets in one round. */
  roundSamples: number;
  /** Each prompt's share of the whole budget (uniform split). */
  shareTokens: number;
}

/** Splits `total` whole units in proportion to `weights` (largest remainders; zero weights get none). */
export function proportionalSplit(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, w) => a + Math.max(0, w), 0);
  if (sum <= 0 || total <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (Math.max(0, w) / sum) * total);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x), w: weights[i] as number }));
  order.sort((a, b) => b.r - a.r || b.w - a.w || a.i - b.i);
  for (const { i, w } of order) {
    if (left <= 0) break;
    if (w <= 0) continue;
    out[i] = (out[i] as number) + 1;
    left--;
  }
  return out;
}

/** Samples each prompt draws next round (all zero: the batch is done). */
export function nextRound(
  policy: AllocationPolicy,
  states: readonly PromptState[],
  limits: AllocationLimits,
): number[] {
  const perSample = Math.max(1, limits.tokensPerSample);
  const room = (s: PromptState) => Math.max(0, limits.maxSamplesPerPrompt - s.samples);
  if (policy === 'uniform') {
    // Every prompt draws the samples its own share holds, to the nearest sample (so the uniform
    // split spends its budget as fully as the compute-optimal one).
    return states
      .map((s) =>
        Math.min(room(s), limits.roundSamples, Math.round((limits.shareTokens - s.tokens) / perSample)),
      )
      .map((k) => Math.max(0, k));
  }
  const affordable = Math.floor(limits.remainingTokens / perSample);
  const weights = states.map((s) => (room(s) > 0 ? s.difficulty : 0));
  const open = weights.filter((w) => w > 0).length;
  const total = Math.min(affordable, open * limits.roundSamples);
  const split = proportionalSplit(weights, total);
  return split.map((k, i) => Math.min(k, room(states[i] as PromptState), limits.roundSamples));
}
