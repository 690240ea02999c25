// Float64 sampling of one logits row on the CPU, for the reference backend: penalties, banned
// tokens, temperature, top-k / top-p / min-p, and the statistics a step can ask for. Its random
// number is a pure function of (seed, stream, position) so that a sequence's draws do not depend
// on its batch — the same contract as the GPU sampler, though not the same bits.
import type { RowSampling, SampledToken } from '../model/backend.ts';
import { argmax, logSoftmax } from './forward.ts';

/** A uniform number in [0, 1) from three 32-bit words (murmur3-style finaliser rounds). */
export function counterUniform(seed: number, stream: number, position: number): number {
  let h = 0x9e3779b9 ^ (seed >>> 0);
  for (const w of [stream >>> 0, position >>> 0]) {
    h = Math.imul(h ^ w, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return (h >>> 0) / 4294967296;
}

/** Applies repetition/frequency/presence penalties and bans to a copy of `logits`. */
function adjusted(logits: ArrayLike<number>, s: RowSampling): Float64Array {
  const out = Float64Array.from(logits as ArrayLike<number>);
  const p = s.params;
  if (s.history && (p.repetitionPenalty || p.frequencyPenalty || p.presencePenalty)) {
    const counts = new Map<number, number>();
    for (const t of s.history) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const [t, n] of counts) {
      let v = out[t] as number;
      if (p.repetitionPenalty && p.repetitionPenalty !== 1) {
        v = v > 0 ? v / p.repetitionPenalty : v * p.repetitionPenalty;
      }
      v -= (p.frequencyPenalty ?? 0) * n + (p.presencePenalty ?? 0);
      out[t] = v;
    }
  }
  for (const t of p.bannedTokens ?? []) if (t >= 0 && t < out.length) out[t] = Number.NEGATIVE_INFINITY;
  return out;
}

/** Samples (or forces) one token from `logits` and computes the requested statistics. */
export function sampleRow(logits: ArrayLike<number>, s: RowSampling): SampledToken {
  const z = adjusted(logits, s);
  const lp = logSoftmax(z);
  let token: number;
  if (s.forceToken !== undefined) token = s.forceToken;
  else if (s.params.temperature <= 0) token = argmax(z);
  else {
    const p = s.params;
    const order = [...lp.keys()].sort((a, b) => (lp[b] as number) - (lp[a] as number) || a - b);
    let keep = order.length;
    if (p.topK && p.topK > 0) keep = Math.min(keep, p.topK);
    const scaled = order.slice(0, keep).map((t) => (z[t] as number) / p.temperature);
    const m = scaled[0] as number;
    let probs = scaled.map((v) => Math.exp(v - m));
    const sum = probs.reduce((a, b) => a + b, 0);
    probs = probs.map((v) => v / sum);
    if (p.minP && p.minP > 0) keep = probs.filter((v) => v >= p.minP! * (probs[0] as number)).length;
    if (p.topP !== undefined && p.topP < 1) {
      let c = 0;
      for (let i = 0; i < keep; i++) {
        c += probs[i] as number;
        if (c >= p.topP) {
          keep = i + 1;
          break;
        }
      }
    }
    const total = probs.slice(0, keep).reduce((a, b) => a + b, 0);
    let u = counterUniform(p.seed ?? 0, s.stream, s.position) * total;
    token = order[keep - 1] as number;
    for (let i = 0; i < keep; i++) {
      u -= probs[i] as number;
      if (u < 0) {
        token = order[i] as number;
        break;
      }
    }
  }
  // Reported log-probabilities are those of the temperature-1 model distribution (raw logits);
  // tokens a constraint masked (−∞) are left out, so the statistics are over the allowed set.
  const raw = logSoftmax(logits);
  const out: SampledToken = { token, logprob: raw[token] as number };
  const want = s.want;
  const finite = [...raw.keys()].filter((t) => (raw[t] as number) > Number.NEGATIVE_INFINITY);
  if (want?.topLogprobs) {
    const order = finite.sort((a, b) => (raw[b] as number) - (raw[a] as number) || a - b);
    out.topLogprobs = order.slice(0, want.topLogprobs).map((t) => ({ token: t, logprob: raw[t] as number }));
  }
  if (want?.entropy)
    out.entropy = -finite.reduce((a, t) => a + Math.exp(raw[t] as number) * (raw[t] as number), 0);
  if (want?.selfCertainty) {
    const v = finite.length;
    out.selfCertainty = finite.reduce((a, t) => a + (raw[t] as number) + Math.log(v), 0) / v;
  }
  return out;
}
