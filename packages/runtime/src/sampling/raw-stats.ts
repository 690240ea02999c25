// Statistics of a row's raw softmax (temperature 1, no penalties), summed in index order
// exactly as the sampler reference does, so the CPU sampler's numbers match it bit for bit.

/** Max, its first index, and the softmax's log-normaliser, entropy and self-certainty term. */
export interface RawStats {
  /** Largest logit (−∞ when all are). */
  max: number;
  /** Lowest index holding the largest logit. */
  argmax: number;
  /** Σ_j exp(logit_j − max), in index order. */
  s0: number;
  /** log Σ_j exp(logit_j). */
  logZ: number;
  /** Entropy of the softmax, nats. */
  entropy: number;
  /** mean_j log(V·p_j) over the V tokens with a finite logit (all of them unless a constraint masks some). */
  selfCertainty: number;
}

/** The raw softmax statistics of one row: a max/argmax sweep, then one exp sweep. */
export function rawStats(logits: Float32Array): RawStats {
  const vocab = logits.length;
  let m = vocab > 0 ? (logits[0] as number) : Number.NEGATIVE_INFINITY;
  let argmax = 0;
  for (let i = 1; i < vocab; i++) {
    const v = logits[i] as number;
    if (v > m) {
      m = v;
      argmax = i;
    }
  }
  let s0 = 0;
  let s1 = 0;
  let sum = 0;
  let allowed = 0;
  for (let i = 0; i < vocab; i++) {
    const l = logits[i] as number;
    const x = l - m;
    const e = Math.exp(x);
    s0 += e;
    if (e > 0) s1 += x * e; // a −inf (masked) logit contributes nothing
    if (l > Number.NEGATIVE_INFINITY) {
      sum += l;
      allowed++;
    }
  }
  const logZ = m + Math.log(s0);
  return {
    max: m,
    argmax,
    s0,
    logZ,
    entropy: Math.log(s0) - s1 / s0,
    selfCertainty: Math.log(allowed) + sum / allowed - logZ, // over the allowed (finite) tokens
  };
}
