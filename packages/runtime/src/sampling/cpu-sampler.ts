// The sampler on the CPU: the GPU sampler's rules (see the gpu package's sampleReference, the
// float64 oracle this matches) over f32 logits, in O(V) per row plus O(C log C) for the C
// candidates: raw statistics in two sweeps, a bounded heap for the candidates and the top-20,
// and a Gumbel-max draw that skips tokens whose best possible score cannot win.
import { RuminateError } from '@ruminate/errors';
import {
  packSamplerParams,
  penalisedLogit,
  SAMPLER_MAX_CANDIDATES,
  SAMPLER_NONE,
  SAMPLER_TOP_N,
  type SamplerRowParams,
  type SamplerRowResult,
} from '@ruminate/gpu';
import { GUMBEL_MAX, GumbelStream } from './gumbel-stream.ts';
import { type RawStats, rawStats } from './raw-stats.ts';
import { TopSelection } from './top-selection.ts';

/** Samples rows of logits (row i at i·vocab) by the GPU sampler's rules, validating rows as the GPU path does. */
export function sampleRows(
  logits: Float32Array,
  vocab: number,
  rows: readonly SamplerRowParams[],
  candidates = SAMPLER_MAX_CANDIDATES,
  sampler = new CpuSampler(),
): SamplerRowResult[] {
  if (logits.length < rows.length * vocab)
    throw new RuminateError(
      'invalid-argument',
      `${rows.length} rows of ${vocab} logits need ${rows.length * vocab} values; got ${logits.length}.`,
      { field: 'logits' },
    );
  packSamplerParams(rows, vocab, candidates); // the same invalid-argument errors as the GPU sampler
  return rows.map((r, i) => sampler.sampleRow(logits.subarray(i * vocab, (i + 1) * vocab), r, candidates));
}

/** A CPU sampler holding per-vocabulary scratch, reusable across rows and batches. */
export class CpuSampler {
  private adj = new Float32Array(0);
  private mask = new Uint8Array(0);
  private readonly candidatesSel = new TopSelection();
  private readonly topSel = new TopSelection();

  /** Samples one row (length = vocab) exactly as sampleReference does with the same `candidates`. */
  sampleRow(
    logits: Float32Array,
    params: SamplerRowParams,
    candidates = SAMPLER_MAX_CANDIDATES,
  ): SamplerRowResult {
    const stats = rawStats(logits);
    const vocab = logits.length;
    // `cand`, when given, is the candidate list of an unpenalised, unbanned row: the raw order.
    const result = (token: number, keptTokens: number | undefined, cand?: Int32Array): SamplerRowResult => ({
      token,
      logprob: token === SAMPLER_NONE ? Number.NaN : (logits[token] as number) - stats.logZ,
      entropy: stats.entropy,
      selfCertainty: stats.selfCertainty,
      logZ: stats.logZ,
      keptTokens,
      top: this.top(logits, stats, candidates, cand),
    });
    if (params.forceToken !== undefined) return result(params.forceToken, 0);
    const adj = this.penalised(logits, params);
    const mask = this.banned(vocab, params.bannedTokens);
    try {
      if (params.temperature <= 0) {
        const t =
          candidates < 1 ? -1 : adj === logits && mask === undefined ? stats.argmax : firstBest(adj, mask);
        return t < 0 || vocab === 0 ? result(SAMPLER_NONE, 0) : result(t, 1);
      }
      const plain = adj === logits && mask === undefined;
      return this.draw(adj, mask, plain, stats, params, candidates, (token, kept, cand) =>
        result(token, kept, plain ? cand : undefined),
      );
    } finally {
      if (mask !== undefined) for (const t of params.bannedTokens ?? []) mask[t] = 0;
    }
  }

  /** Top-k / top-p / min-p on the candidates, then the Gumbel-max draw over the kept set. */
  private draw(
    adj: Float32Array,
    mask: Uint8Array | undefined,
    plain: boolean,
    stats: RawStats,
    params: SamplerRowParams,
    candidates: number,
    result: (token: number, kept: number | undefined, cand?: Int32Array) => SamplerRowResult,
  ): SamplerRowResult {
    const topK = params.topK ?? 0;
    // With top-k on, only the first min(topK, n) candidates matter (and bound the set).
    const want = Math.max(0, topK > 0 ? Math.min(topK, candidates) : candidates);
    const cand = this.candidatesSel.select(adj, want, mask);
    const n = cand.length;
    if (n === 0) return result(SAMPLER_NONE, 0, cand);
    const a = (j: number) => adj[cand[j] as number] as number;
    const a0 = a(0);
    let c = n;
    let bounded = n < candidates;
    if (topK > 0) {
      c = n; // = min(topK, candidates, unbanned tokens)
      bounded = true;
    }
    const topP = Math.fround(params.topP ?? 1);
    if (topP < 1) {
      let z = 0;
      if (bounded) for (let j = 0; j < c; j++) z += Math.exp(a(j) - a0);
      else if (plain)
        z = stats.s0; // a0 is the raw max: the same sum, in index order
      else z = expSum(adj, mask, a0);
      let cum = 0;
      let cut = c;
      for (let j = 0; j < c; j++) {
        cum += Math.exp(a(j) - a0);
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
      if (bounded || cnt < c) {
        c = Math.max(cnt, 1);
        bounded = true;
      } else {
        threshold = thr;
      }
    }
    const temp = Math.fround(params.temperature);
    const noise = new GumbelStream(params.seed ?? 0, params.sequence, params.position);
    if (bounded) {
      let best = Number.NEGATIVE_INFINITY;
      let token = SAMPLER_NONE;
      for (let j = 0; j < c; j++) {
        const t = cand[j] as number;
        const score = (adj[t] as number) / temp + noise.at(t);
        if (score > best) {
          best = score;
          token = t;
        }
      }
      return result(token, c, cand);
    }
    return result(fullDraw(adj, mask, cand, threshold, temp, noise), undefined, cand);
  }

  /** The top-20 raw log-probabilities (none at candidate cap 1), reusing the candidates when they are the raw order. */
  private top(
    logits: Float32Array,
    stats: RawStats,
    candidates: number,
    rawCandidates: Int32Array | undefined,
  ): { token: number; logprob: number }[] {
    if (candidates === 1) return [];
    const n = Math.min(SAMPLER_TOP_N, logits.length);
    const ids = rawCandidates && rawCandidates.length >= n ? rawCandidates : this.topSel.select(logits, n);
    const out: { token: number; logprob: number }[] = [];
    for (let j = 0; j < n; j++) {
      const t = ids[j] as number;
      out.push({ token: t, logprob: (logits[t] as number) - stats.logZ });
    }
    return out;
  }

  /** The penalised logits (f32, as the GPU stores them), or `logits` itself when no penalty applies. */
  private penalised(logits: Float32Array, params: SamplerRowParams): Float32Array {
    const rep = params.repetitionPenalty ?? 1;
    const freq = params.frequencyPenalty ?? 0;
    const pres = params.presencePenalty ?? 0;
    const counts = params.tokenCounts;
    if ((rep === 1 && freq === 0 && pres === 0) || counts === undefined || counts.size === 0) return logits;
    const vocab = logits.length;
    let adj: Float32Array | undefined;
    for (const [t, cnt] of counts) {
      if (!(cnt > 0 && Number.isInteger(t) && t >= 0 && t < vocab)) continue;
      if (adj === undefined) {
        if (this.adj.length < vocab) this.adj = new Float32Array(vocab);
        adj = this.adj.subarray(0, vocab);
        adj.set(logits);
      }
      adj[t] = penalisedLogit(logits[t] as number, cnt, rep, freq, pres);
    }
    return adj ?? logits;
  }

  /** The banned-token mask (cleared again after the row), or undefined when nothing in range is banned. */
  private banned(vocab: number, tokens: readonly number[] | undefined): Uint8Array | undefined {
    if (tokens === undefined || tokens.length === 0) return undefined;
    if (this.mask.length < vocab) this.mask = new Uint8Array(vocab);
    const mask = this.mask.subarray(0, vocab);
    let any = false;
    for (const t of tokens) {
      if (Number.isInteger(t) && t >= 0 && t < vocab) {
        mask[t] = 1;
        any = true;
      }
    }
    return any ? mask : undefined;
  }
}

/** Lowest unmasked index holding the largest value, or −1 when every index is masked. */
function firstBest(values: Float32Array, mask: Uint8Array | undefined): number {
  let best = -1;
  let bv = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    if (mask !== undefined && mask[i] !== 0) continue;
    const v = values[i] as number;
    if (best < 0 || v > bv) {
      best = i;
      bv = v;
    }
  }
  return best;
}

/** Σ exp(v − a0) over the unmasked values, in index order. */
function expSum(values: Float32Array, mask: Uint8Array | undefined, a0: number): number {
  let z = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask !== undefined && mask[i] !== 0) continue;
    z += Math.exp((values[i] as number) - a0);
  }
  return z;
}

/**
 * The Gumbel-max draw over every unmasked token with value ≥ threshold (the reference's
 * full-vocabulary draw), winner ties broken by the reference's order (value, then lower id).
 * The candidates go first to set a high bar; then a token is scored only when its value /
 * temp + GUMBEL_MAX could reach the best score (rounding is monotone, so the skip is exact).
 */
function fullDraw(
  adj: Float32Array,
  mask: Uint8Array | undefined,
  cand: Int32Array,
  threshold: number,
  temp: number,
  noise: GumbelStream,
): number {
  let best = Number.NEGATIVE_INFINITY;
  let bestValue = Number.NEGATIVE_INFINITY;
  let token = SAMPLER_NONE;
  // Pass 0 scores the candidates (the largest values), pass 1 the rest of the vocabulary;
  // a candidate scored again ties with itself and changes nothing.
  for (let pass = 0; pass < 2; pass++) {
    const end = pass === 0 ? cand.length : adj.length;
    for (let j = 0; j < end; j++) {
      const t = pass === 0 ? (cand[j] as number) : j;
      const v = adj[t] as number;
      if (
        pass === 1 &&
        (!(v >= threshold) || v / temp + GUMBEL_MAX < best || (mask !== undefined && mask[t] !== 0))
      )
        continue;
      const score = v / temp + noise.at(t);
      if (
        score > best ||
        (token !== SAMPLER_NONE && score === best && (v > bestValue || (v === bestValue && t < token)))
      ) {
        best = score;
        bestValue = v;
        token = t;
      }
    }
  }
  return token;
}
