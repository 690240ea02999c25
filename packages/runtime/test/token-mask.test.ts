// Constrained rows on the CPU (the wasm backend's path): maskSampledRows / maskLogits with packed
// grammar masks, then the CPU sampler, against the float64 sampleReference over the same masked
// logits; allowedCount; and rescaleSelfCertainty (the GPU path's host-side correction) against
// the reference's self-certainty over the allowed set.
import { type SamplerRowParams, sampleReference } from '@ruminate/gpu';
import { freshSeed, seededRandom } from '@ruminate/gpu/testing';
import { describe, expect, it } from 'vitest';
import type { RowSampling } from '../src/model/backend.ts';
import { sampleRows } from '../src/sampling/cpu-sampler.ts';
import { toSampledToken } from '../src/sampling/sampled-token.ts';
import {
  allowedCount,
  maskLogits,
  maskSampledRows,
  rescaleSelfCertainty,
} from '../src/sampling/token-mask.ts';

const seed = freshSeed();
const rand = seededRandom(seed);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;

type MaskKind = 'all' | 'one' | 'few' | 'sparse' | 'half' | 'dense';

/** A packed mask with random bits past `vocab` (they must be ignored), and at least one allowed token. */
function randomMask(vocab: number, kind: MaskKind): Uint32Array {
  const words = Math.ceil(vocab / 32);
  const mask = new Uint32Array(words);
  const allow = (t: number) => {
    mask[t >>> 5] = (mask[t >>> 5] as number) | (1 << (t & 31));
  };
  if (kind === 'all') mask.fill(0xffffffff);
  else if (kind === 'one') allow(int(vocab));
  else if (kind === 'few') for (let j = 0; j < 1 + int(15); j++) allow(int(vocab));
  else {
    const p = kind === 'sparse' ? 0.02 : kind === 'half' ? 0.5 : 0.97;
    for (let t = 0; t < vocab; t++) if (rand() < p) allow(t);
    allow(int(vocab));
  }
  if (vocab % 32 !== 0)
    mask[words - 1] = ((mask[words - 1] as number) | (int(2 ** 32) << (vocab % 32))) >>> 0;
  return mask;
}

/** Float64-side masking, token by token. */
function allowedSet(vocab: number, mask: Uint32Array): boolean[] {
  return Array.from({ length: vocab }, (_, t) => (((mask[t >>> 5] as number) >>> (t & 31)) & 1) === 1);
}

function randomLogits(vocab: number): Float32Array {
  const peaked = rand() < 0.5;
  return Float32Array.from({ length: vocab }, () => (peaked ? -3 + 14 * rand() ** 8 : -4 + 8 * rand()));
}

function randomParams(vocab: number, candidates: number): SamplerRowParams {
  const p: SamplerRowParams = {
    temperature: pick([0, 0.7, 1, 1.5]),
    seed: int(2 ** 40),
    sequence: int(2 ** 32),
    position: int(5000),
  };
  const mode = int(5);
  if (mode === 1) p.topK = 1 + int(candidates);
  if (mode === 2 && candidates >= 32) p.topP = pick([0.5, 0.9, 0.99]);
  if (mode === 3) p.minP = pick([0.01, 0.1]);
  if (mode === 4) {
    p.repetitionPenalty = 1.3;
    p.tokenCounts = new Map(Array.from({ length: 20 }, () => [int(vocab), 1 + int(3)] as [number, number]));
  }
  return p;
}

describe('constrained rows on the CPU', () => {
  it('maskLogits / allowedCount: exactly the allowed set (tail bits past the vocabulary ignored)', () => {
    for (let r = 0; r < 60; r++) {
      const vocab = pick([1, 31, 32, 33, 777, 8000, 8003]);
      const kind = pick<MaskKind>(['all', 'one', 'few', 'sparse', 'half', 'dense']);
      const mask = randomMask(vocab, kind);
      const logits = randomLogits(vocab);
      const row = logits.slice();
      maskLogits(row, mask);
      const allowed = allowedSet(vocab, mask);
      for (let t = 0; t < vocab; t++) {
        if (row[t] !== (allowed[t] ? logits[t] : Number.NEGATIVE_INFINITY))
          throw new Error(`seed ${seed} vocab ${vocab} ${kind}: token ${t} is ${row[t]}`);
      }
      expect(allowedCount(mask, vocab), `seed ${seed} vocab ${vocab} ${kind}`).toBe(
        allowed.filter(Boolean).length,
      );
    }
  });

  it('masked rows sample as sampleReference over the masked logits (statistics bit-identical)', async () => {
    let rows = 0;
    let fragile = 0;
    for (let b = 0; b < 24; b++) {
      const vocab = pick([777, 3001, 8000]);
      const candidates = pick([1, 64, 256]);
      const n = 1 + int(6);
      const logits = new Float32Array(n * vocab);
      const masks: (Uint32Array | undefined)[] = [];
      const sample: RowSampling[] = [];
      for (let i = 0; i < n; i++) {
        logits.set(randomLogits(vocab), i * vocab);
        // Some rows unconstrained, as in a batch mixing constrained and free sequences.
        const mask =
          rand() < 0.2
            ? undefined
            : randomMask(vocab, pick(['all', 'one', 'few', 'sparse', 'half', 'dense']));
        masks.push(mask);
        sample.push({
          row: i,
          params: { temperature: 1 },
          stream: i,
          position: 0,
          want: { topLogprobs: 20 },
          forceToken: undefined,
          history: undefined,
          ...(mask ? { allowed: async () => mask } : {}),
        });
      }
      const raw = logits.slice();
      await maskSampledRows(logits, vocab, sample);
      const params = Array.from({ length: n }, () => randomParams(vocab, candidates));
      const got = sampleRows(logits, vocab, params, candidates);
      for (let i = 0; i < n; i++) {
        const what = `seed ${seed} batch ${b} row ${i} vocab ${vocab} C=${candidates} ${JSON.stringify(params[i], (_k, v) => (v instanceof Map ? [...v] : v))}`;
        const mask = masks[i];
        const allowed = mask ? allowedSet(vocab, mask) : undefined;
        const expected = Float32Array.from(raw.subarray(i * vocab, (i + 1) * vocab), (x, t) =>
          allowed && !allowed[t] ? Number.NEGATIVE_INFINITY : x,
        );
        const ref = sampleReference(expected, params[i] as SamplerRowParams, candidates);
        const g = got[i];
        if (!g) throw new Error(`${what}: no result`);
        rows++;
        if (ref.fragile) fragile++;
        else {
          expect(g.token, what).toBe(ref.token);
          expect(g.keptTokens, what).toBe(ref.keptTokens);
        }
        expect(allowed?.[g.token] ?? true, `${what}: token ${g.token} allowed`).toBe(true);
        // Same float64 sums in the same order: the statistics are the reference's bit for bit.
        expect([g.entropy, g.logZ, g.selfCertainty], what).toEqual([
          ref.entropy,
          ref.logZ,
          ref.selfCertainty,
        ]);
        if (g.token === ref.token) expect(g.logprob, what).toBe(ref.logprob);
        expect(g.top, what).toEqual(ref.top);
        // The engine's view lists no masked token, and all allowed ones up to 20.
        const listed = toSampledToken(g, { topLogprobs: 20 }).topLogprobs ?? [];
        expect(
          listed.every((e) => allowed?.[e.token] ?? true),
          what,
        ).toBe(true);
        if (candidates > 1)
          expect(listed.length, what).toBe(Math.min(20, expected.filter((x) => x > -Infinity).length));
      }
    }
    // Peaked rows hold many near-equal tails (top-k cuts on a near-tie are fragile); most rows
    // must still have compared their token.
    expect(rows - fragile, `seed ${seed}: rows whose token was compared`).toBeGreaterThan(rows / 2);
  });

  it('rescaleSelfCertainty turns the GPU convention (sum of allowed logits / V) into the reference’s', () => {
    for (let r = 0; r < 40; r++) {
      const vocab = pick([777, 8000, 32000]);
      const mask = randomMask(vocab, pick(['one', 'few', 'sparse', 'half', 'dense']));
      const row = randomLogits(vocab);
      maskLogits(row, mask);
      const ref = sampleReference(row, { temperature: 0, sequence: 0, position: 0 });
      let sum = 0;
      for (const x of row) if (x > Number.NEGATIVE_INFINITY) sum += x;
      const gpu = Math.log(vocab) + sum / vocab - ref.logZ; // what sampler.wgsl computes, in float64
      const allowed = allowedCount(mask, vocab);
      const fixed = rescaleSelfCertainty(
        { token: 0, logprob: 0, selfCertainty: gpu },
        vocab,
        allowed,
        ref.logZ,
      );
      // Float64 throughout: only the multiply-back by V/A of a float64 rounding remains.
      expect(Math.abs((fixed.selfCertainty as number) - ref.selfCertainty), `seed ${seed}`).toBeLessThan(
        1e-12 * (vocab / allowed) * Math.max(1, Math.abs(ref.logZ)),
      );
      // An unconstrained row (allowed = vocab) is left as it is.
      expect(
        rescaleSelfCertainty({ token: 0, logprob: 0, selfCertainty: 1.5 }, vocab, vocab, 3).selfCertainty,
      ).toBe(1.5);
    }
  });
});
