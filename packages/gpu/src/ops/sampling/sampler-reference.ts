// CPU reference of the GPU sampler: the same rules, the same candidate cap and the same
// Philox/Gumbel stream, in float64 (penalised logits are rounded to f32 as the GPU stores
// them, so candidate order matches). Used by the tests, and by the runtime for parity checks.
import { streamGumbel } from './philox.ts';
import {
  SAMPLER_MAX_CANDIDATES,
  SAMPLER_NONE,
  SAMPLER_TOP_N,
  type SamplerRowParams,
  type SamplerRowResult,
} from './sampler-params.ts';

/** The reference's result, plus how close the decision was to flipping under rounding. */
export interface ReferenceSample extends SamplerRowResult {
  /** True when an f32-vs-f64 rounding difference could change the token (near-tie or a cut on its boundary). */
  fragile: boolean;
  /** Probabilities of the sampling distribution over the kept set (token → p), for distribution tests. */
  distribution: Map<number, number>;
}

const REL = 1e-5; // relative closeness below which f32 and f64 decisions may differ

function near(a: number, b: number, scale = 1): boolean {
  return Math.abs(a - b) <= REL * Math.max(scale, Math.abs(a), Math.abs(b));
}

/** Penalised logit as the GPU computes it in f32 (llama.cpp's rule, see common.wgsl). */
export function penalisedLogit(l: number, count: number, rep: number, freq: number, pres: number): number {
  const f = Math.fround;
  const v = l <= 0 ? f(l * f(rep)) : f(l / f(rep));
  return f(v - f(f(count * f(freq)) + f(pres)));
}

/**
 * Samples one row of `logits` (length = vocab) by the GPU sampler's rules with `candidates`
 * the dispatch's candidate cap (top-k ≤ candidates; top-p's nucleus is capped at it).
 */
export function sampleReference(
  logits: Float32Array,
  params: SamplerRowParams,
  candidates = SAMPLER_MAX_CANDIDATES,
): ReferenceSample {
  const vocab = logits.length;
  // Raw (model) distribution, float64.
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < vocab; i++) m = Math.max(m, logits[i] as number);
  let s0 = 0;
  let s1 = 0;
  let sum = 0;
  let allowed = 0;
  for (let i = 0; i < vocab; i++) {
    const x = (logits[i] as number) - m;
    const e = Math.exp(x);
    s0 += e;
    if (e > 0) s1 += x * e; // a −inf (masked) logit contributes nothing
    if ((logits[i] as number) > Number.NEGATIVE_INFINITY) {
      sum += logits[i] as number;
      allowed++;
    }
  }
  const logZ = m + Math.log(s0);
  const entropy = Math.log(s0) - s1 / s0;
  // Over the tokens a constraint allows (−∞ logits are masked out): every token when none is.
  const selfCertainty = Math.log(allowed) + sum / allowed - logZ;
  const rawOrder = [...Array(vocab).keys()].sort(
    (a, b) => (logits[b] as number) - (logits[a] as number) || a - b,
  );
  // Candidate cap 1 (the GPU's chunk_best path) reports no top list.
  const top = rawOrder
    .slice(0, candidates === 1 ? 0 : SAMPLER_TOP_N)
    .map((t) => ({ token: t, logprob: (logits[t] as number) - logZ }));

  // Penalised logits, bans.
  const banned = new Set(params.bannedTokens ?? []);
  const adj = new Float64Array(vocab);
  const rep = params.repetitionPenalty ?? 1;
  const freq = params.frequencyPenalty ?? 0;
  const pres = params.presencePenalty ?? 0;
  for (let i = 0; i < vocab; i++) adj[i] = logits[i] as number;
  if (rep !== 1 || freq !== 0 || pres !== 0) {
    for (const [t, c] of params.tokenCounts ?? []) {
      if (c > 0) adj[t] = penalisedLogit(logits[t] as number, c, rep, freq, pres);
    }
  }
  const order = [...Array(vocab).keys()]
    .filter((i) => !banned.has(i))
    .sort((a, b) => (adj[b] as number) - (adj[a] as number) || a - b);
  const cand = order.slice(0, candidates);
  const n = cand.length;
  const complete = n < candidates;
  const result = (token: number, kept: number | undefined, fragile: boolean, dist: Map<number, number>) => ({
    token,
    logprob: token === SAMPLER_NONE ? Number.NaN : (logits[token] as number) - logZ,
    entropy,
    selfCertainty,
    logZ,
    keptTokens: kept,
    top,
    fragile,
    distribution: dist,
  });
  const a = (j: number) => adj[cand[j] as number] as number;

  if (params.forceToken !== undefined)
    return result(params.forceToken, 0, false, new Map([[params.forceToken, 1]]));
  if (params.temperature <= 0 || n === 0) {
    if (n === 0) return result(SAMPLER_NONE, 0, false, new Map());
    return result(cand[0] as number, 1, n > 1 && near(a(0), a(1)), new Map([[cand[0] as number, 1]]));
  }
  let fragile = false;
  const a0 = a(0);
  let c = n;
  let bounded = complete;
  const topK = params.topK ?? 0;
  if (topK > 0) {
    c = Math.min(topK, n);
    bounded = true;
    if (c < n && near(a(c - 1), a(c))) fragile = true;
  }
  const topP = Math.fround(params.topP ?? 1);
  if (topP < 1) {
    let z = 0;
    if (bounded) for (let j = 0; j < c; j++) z += Math.exp(a(j) - a0);
    else for (const t of order) z += Math.exp((adj[t] as number) - a0);
    let cum = 0;
    let cut = c;
    for (let j = 0; j < c; j++) {
      cum += Math.exp(a(j) - a0);
      if (near(cum, topP * z)) fragile = true;
      if (cum >= topP * z) {
        cut = j + 1;
        break;
      }
    }
    c = cut;
    bounded = true;
  }
  const minP = Math.fround(params.minP ?? 0);
  let threshold = Number.NEGATIVE_INFINITY;
  if (minP > 0) {
    const thr = a0 + Math.log(minP);
    let cnt = 0;
    while (cnt < c && a(cnt) >= thr) cnt++;
    for (let j = 0; j < Math.min(c + 1, n); j++) if (near(a(j), thr)) fragile = true;
    if (bounded || cnt < c) {
      c = Math.max(cnt, 1);
      bounded = true;
    } else {
      threshold = thr;
    }
  }
  const kept = bounded ? cand.slice(0, c) : order.filter((t) => (adj[t] as number) >= threshold);
  const temp = Math.fround(params.temperature);
  const key = [(params.seed ?? 0) >>> 0, Math.floor((params.seed ?? 0) / 4294967296) >>> 0] as const;
  let best = Number.NEGATIVE_INFINITY;
  let second = Number.NEGATIVE_INFINITY;
  let token = SAMPLER_NONE;
  for (const t of kept) {
    const score = (adj[t] as number) / temp + streamGumbel(key, params.sequence, params.position, t);
    if (score > best) {
      second = best;
      best = score;
      token = t;
    } else if (score > second) second = score;
  }
  if (near(best, second)) fragile = true;
  let zk = 0;
  for (const t of kept) zk += Math.exp(((adj[t] as number) - a0) / temp);
  const dist = new Map(kept.map((t) => [t, Math.exp(((adj[t] as number) - a0) / temp) / zk]));
  return result(token, bounded ? c : undefined, fragile, dist);
}
