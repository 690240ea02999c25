// Exact buffer layouts of the GPU sampler (kernels-wgsl/sampling/), and the packers and
// decoders the runtime uses. Mirrors the runtime's SamplingParams / StepWants / StepResult
// at the gpu level (gpu does not import runtime).
import { RuminateError } from '../../errors.ts';
import { seedKey } from './philox.ts';

/** u32 words per row record at the start of the params buffer. */
export const SAMPLER_PARAM_WORDS = 16;
/** u32 words per row of the output buffer (192 bytes). */
export const SAMPLER_OUT_WORDS = 48;
/** Top log-probabilities reported per row. */
export const SAMPLER_TOP_N = 20;
/** Largest candidate count (and so largest top-k) a sampler dispatch supports. */
export const SAMPLER_MAX_CANDIDATES = 256;
/** The token value meaning "none": no forced token, or nothing samplable. */
export const SAMPLER_NONE = 0xffffffff;

/**
 * One row's sampling rule. Order of operations (llama.cpp's default chain): penalties →
 * banned tokens → top-k → top-p → min-p (all on temperature-1 probabilities) → temperature →
 * draw (Gumbel-max with the Philox stream of (seed, sequence, position)).
 */
export interface SamplerRowParams {
  /** Softmax temperature applied to the kept set; 0 (or less) selects the argmax of the penalised logits. */
  temperature: number;
  /** Keep the k most likely tokens (0 or absent: all). At most the dispatch's `candidates`. */
  topK?: number;
  /** Keep the smallest most-likely prefix reaching this mass (≥ 1 or absent: all). Capped at the dispatch's `candidates` tokens. */
  topP?: number;
  /** Keep tokens with probability ≥ minP × the top one's (0 or absent: off). */
  minP?: number;
  /** llama.cpp's repetition penalty for tokens in `tokenCounts` (1: off). */
  repetitionPenalty?: number;
  /** Subtracted × count for tokens in `tokenCounts`. */
  frequencyPenalty?: number;
  /** Subtracted once for tokens in `tokenCounts`. */
  presencePenalty?: number;
  /** Seed of the random stream, a non-negative integer < 2^53 (default 0). */
  seed?: number;
  /** Sequence id: part of the random stream's counter. */
  sequence: number;
  /** Position of the token being drawn: part of the random stream's counter. */
  position: number;
  /** Token → occurrences in the penalty window (the caller picks the window); only these are penalised. */
  tokenCounts?: ReadonlyMap<number, number>;
  /** Tokens that may not be drawn (their logits still count in the reported distribution). */
  bannedTokens?: readonly number[];
  /** Teacher forcing: report this token and its log-probability instead of drawing one. */
  forceToken?: number;
}

/** One row's result, decoded from the output buffer. */
export interface SamplerRowResult {
  /** Token drawn (or forced); SAMPLER_NONE when every token was banned. */
  token: number;
  /** Its log-probability under the raw logits' softmax (temperature 1, no penalties or filters). */
  logprob: number;
  /** Entropy of the raw softmax, in nats. */
  entropy: number;
  /** mean_j log(V·p_j) over the raw softmax (self-certainty's per-token term; ≤ 0). */
  selfCertainty: number;
  /** log Σ_j exp(logit_j) of the raw logits. */
  logZ: number;
  /** Tokens in the sampling set when it was enumerated (argmax: 1, forced: 0); undefined after a full-vocabulary draw. */
  keptTokens: number | undefined;
  /** The most likely raw tokens (up to 20), most likely first, ties by lower id. */
  top: { token: number; logprob: number }[];
}

/**
 * Params buffer layout (u32 words; f32 fields stored as their bits). Row r's record is at
 * words [16r, 16r + 16):
 *   0 temperature f32 · 1 topK u32 (0 = off) · 2 topP f32 · 3 minP f32 ·
 *   4 repetition penalty f32 · 5 frequency penalty f32 · 6 presence penalty f32 ·
 *   7 seed low u32 · 8 seed high u32 · 9 sequence u32 · 10 position u32 ·
 *   11 forced token u32 (0xffffffff = none) · 12 penalty list offset (words, from buffer start) ·
 *   13 penalty entries · 14 banned list offset · 15 banned entries.
 * After the records: per row, the penalty list as (token, count) u32 pairs sorted by token,
 * distinct, count > 0; then the banned list as distinct u32 tokens sorted ascending.
 */
export function packSamplerParams(
  rows: readonly SamplerRowParams[],
  vocab: number,
  candidates = SAMPLER_MAX_CANDIDATES,
): Uint32Array {
  const lists: { pen: [number, number][]; ban: number[] }[] = rows.map((r, i) =>
    validateRow(r, i, vocab, candidates),
  );
  const words =
    rows.length * SAMPLER_PARAM_WORDS + lists.reduce((s, l) => s + 2 * l.pen.length + l.ban.length, 0);
  const u = new Uint32Array(Math.max(words, 1));
  const f = new Float32Array(u.buffer);
  let next = rows.length * SAMPLER_PARAM_WORDS;
  rows.forEach((r, i) => {
    const o = i * SAMPLER_PARAM_WORDS;
    const { pen, ban } = lists[i] as { pen: [number, number][]; ban: number[] };
    const [lo, hi] = seedKey(r.seed ?? 0);
    f[o] = r.temperature;
    u[o + 1] = r.topK ?? 0;
    f[o + 2] = r.topP ?? 1;
    f[o + 3] = r.minP ?? 0;
    f[o + 4] = r.repetitionPenalty ?? 1;
    f[o + 5] = r.frequencyPenalty ?? 0;
    f[o + 6] = r.presencePenalty ?? 0;
    u[o + 7] = lo;
    u[o + 8] = hi;
    u[o + 9] = r.sequence >>> 0;
    u[o + 10] = r.position >>> 0;
    u[o + 11] = r.forceToken ?? SAMPLER_NONE;
    u[o + 12] = next;
    u[o + 13] = pen.length;
    for (const [t, c] of pen) {
      u[next++] = t;
      u[next++] = c;
    }
    u[o + 14] = next;
    u[o + 15] = ban.length;
    for (const t of ban) u[next++] = t;
  });
  return u;
}

function bad(field: string, message: string): RuminateError {
  return new RuminateError('invalid-argument', message, { field });
}

function validateRow(
  r: SamplerRowParams,
  i: number,
  vocab: number,
  candidates: number,
): { pen: [number, number][]; ban: number[] } {
  const at = `rows[${i}]`;
  const isToken = (t: number) => Number.isInteger(t) && t >= 0 && t < vocab;
  if (!Number.isFinite(r.temperature))
    throw bad(`${at}.temperature`, `${at}.temperature must be a finite number (0 for greedy).`);
  const k = r.topK ?? 0;
  if (!Number.isInteger(k) || k < 0 || k > candidates)
    throw bad(`${at}.topK`, `${at}.topK is ${k}: use an integer in [0, ${candidates}] (0 turns top-k off).`);
  const p = r.topP ?? 1;
  if (!(p > 0)) throw bad(`${at}.topP`, `${at}.topP is ${p}: use a value in (0, 1] (1 turns top-p off).`);
  const drawn = r.forceToken === undefined && r.temperature > 0;
  if (drawn && p < 1 && candidates < 32)
    throw bad(
      `${at}.topP`,
      `${at}.topP needs a candidate cap of at least 32 (this dispatch has ${candidates}).`,
    );
  const mp = r.minP ?? 0;
  if (!(mp >= 0 && mp <= 1)) throw bad(`${at}.minP`, `${at}.minP is ${mp}: use a value in [0, 1].`);
  const rep = r.repetitionPenalty ?? 1;
  if (!(rep > 0 && Number.isFinite(rep)))
    throw bad(
      `${at}.repetitionPenalty`,
      `${at}.repetitionPenalty is ${rep}: use a positive number (1 turns it off).`,
    );
  for (const name of ['frequencyPenalty', 'presencePenalty'] as const) {
    const v = r[name] ?? 0;
    if (!Number.isFinite(v)) throw bad(`${at}.${name}`, `${at}.${name} must be a finite number.`);
  }
  const seed = r.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw bad(`${at}.seed`, `${at}.seed is ${seed}: use an integer in [0, 2^53).`);
  for (const name of ['sequence', 'position'] as const) {
    const v = r[name];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw bad(`${at}.${name}`, `${at}.${name} is ${v}: use an integer in [0, 2^32).`);
  }
  if (r.forceToken !== undefined && !isToken(r.forceToken))
    throw bad(
      `${at}.forceToken`,
      `${at}.forceToken ${r.forceToken} is not a token id below the vocabulary size ${vocab}.`,
    );
  const pen: [number, number][] = [];
  const rep1 = rep === 1 && (r.frequencyPenalty ?? 0) === 0 && (r.presencePenalty ?? 0) === 0;
  if (!rep1) {
    for (const [t, c] of r.tokenCounts ?? []) {
      if (!isToken(t))
        throw bad(
          `${at}.tokenCounts`,
          `${at}.tokenCounts has token ${t}, not below the vocabulary size ${vocab}.`,
        );
      if (!Number.isInteger(c) || c < 0)
        throw bad(`${at}.tokenCounts`, `${at}.tokenCounts[${t}] is ${c}: counts are non-negative integers.`);
      if (c > 0) pen.push([t, c]);
    }
    pen.sort((a, b) => a[0] - b[0]);
  }
  const ban = [...new Set(r.bannedTokens ?? [])].sort((a, b) => a - b);
  for (const t of ban)
    if (!isToken(t))
      throw bad(`${at}.bannedTokens`, `${at}.bannedTokens has ${t}, not below the vocabulary size ${vocab}.`);
  return { pen, ban };
}

/**
 * The smallest candidate cap (for `packSamplerParams` and `SamplerOp.encode`) that serves a
 * batch: 1 (the fast, sort-free path) when no row uses top-p or top-k > 1 and no top
 * log-probabilities are wanted; else the smallest of 32, 64, 128, 256 covering every topK, and
 * 256 when a row uses top-p (its nucleus is capped at the candidates).
 */
export function samplerCandidatesFor(rows: readonly SamplerRowParams[], wantTopLogprobs: boolean): number {
  const topP = rows.some((r) => r.forceToken === undefined && r.temperature > 0 && (r.topP ?? 1) < 1);
  const maxK = Math.max(0, ...rows.map((r) => r.topK ?? 0));
  if (topP) return SAMPLER_MAX_CANDIDATES;
  if (!wantTopLogprobs && maxK <= 1) return 1;
  for (const c of [32, 64, 128, 256]) if (maxK <= c) return c;
  return SAMPLER_MAX_CANDIDATES;
}

/** Token → occurrences, for `tokenCounts` (the caller chooses the penalty window). */
export function countTokens(tokens: Iterable<number>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

/**
 * Output buffer layout, per row r at words [48r, 48r + 48): 0 token u32 · 1 logprob f32 ·
 * 2 entropy f32 · 3 selfCertainty f32 · 4 logZ f32 · 5 number of top entries u32 (≤ 20) ·
 * 6 kept tokens u32 (0xffffffff: full-vocabulary draw) · 7 zero · 8..27 top token ids ·
 * 28..47 top log-probabilities f32 (unused entries: token 0xffffffff, NaN).
 */
export function decodeSamplerOutput(data: ArrayBuffer, rows: number, byteOffset = 0): SamplerRowResult[] {
  const u = new Uint32Array(data, byteOffset, rows * SAMPLER_OUT_WORDS);
  const f = new Float32Array(data, byteOffset, rows * SAMPLER_OUT_WORDS);
  const out: SamplerRowResult[] = [];
  for (let r = 0; r < rows; r++) {
    const o = r * SAMPLER_OUT_WORDS;
    const n = Math.min(u[o + 5] as number, SAMPLER_TOP_N);
    const top: { token: number; logprob: number }[] = [];
    for (let j = 0; j < n; j++)
      top.push({ token: u[o + 8 + j] as number, logprob: f[o + 8 + SAMPLER_TOP_N + j] as number });
    const kept = u[o + 6] as number;
    out.push({
      token: u[o] as number,
      logprob: f[o + 1] as number,
      entropy: f[o + 2] as number,
      selfCertainty: f[o + 3] as number,
      logZ: f[o + 4] as number,
      keptTokens: kept === SAMPLER_NONE ? undefined : kept,
      top,
    });
  }
  return out;
}
