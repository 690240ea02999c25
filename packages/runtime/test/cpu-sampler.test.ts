import {
  type ReferenceSample,
  SAMPLER_NONE,
  type SamplerRowParams,
  type SamplerRowResult,
  sampleReference,
  seedKey,
  streamGumbel,
} from '@ruminate/gpu';
import { freshSeed, seededRandom } from '@ruminate/gpu/testing';
import { describe, expect, it } from 'vitest';
import type { RowSampling } from '../src/model/backend.ts';
import { CpuSampler, sampleRows } from '../src/sampling/cpu-sampler.ts';
import { GUMBEL_MAX, GumbelStream } from '../src/sampling/gumbel-stream.ts';
import { toSampledToken } from '../src/sampling/sampled-token.ts';
import { samplerRowParams } from '../src/sampling/sampler-row-params.ts';
import { TopSelection } from '../src/sampling/top-selection.ts';

const seed = freshSeed();
const rand = seededRandom(seed);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;

/** Both sides are float64 over the same f32 inputs: numbers must agree to 1e-9 relative (floor 1). */
const TOL = 1e-9;
function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= TOL * Math.max(1, Math.abs(a), Math.abs(b));
}

type Shape = 'normal' | 'peaked' | 'flat' | 'ties' | 'masked';

function randomLogits(vocab: number, shape: Shape): Float32Array {
  const out = new Float32Array(vocab);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  for (let i = 0; i < vocab; i++) {
    if (shape === 'normal') out[i] = 3 * gauss();
    else if (shape === 'peaked') out[i] = gauss();
    else if (shape === 'flat') out[i] = 0.25;
    else if (shape === 'ties') out[i] = Math.round(2 * gauss()) / 2;
    else out[i] = rand() < 0.5 ? Number.NEGATIVE_INFINITY : 2 * gauss();
  }
  if (shape === 'peaked') for (let j = 0; j < 1 + int(3); j++) out[int(vocab)] = 12 + 4 * rand();
  if (shape === 'flat' && rand() < 0.5) out[int(vocab)] = 0.25 + rand(); // one mild peak
  return out;
}

type Mode = 'greedy' | 'temp' | 'topK' | 'topP' | 'minP' | 'topK+topP' | 'topP+minP' | 'topK+minP' | 'all';
const MODES: Mode[] = [
  'greedy',
  'temp',
  'topK',
  'topP',
  'minP',
  'topK+topP',
  'topP+minP',
  'topK+minP',
  'all',
];

function randomParams(vocab: number, mode: Mode, candidates: number, logits: Float32Array): SamplerRowParams {
  const p: SamplerRowParams = {
    temperature: mode === 'greedy' ? pick([0, -1, 0]) : pick([0.3, 0.7, 1, 1.5, 3]),
    seed: pick([0, int(2 ** 31), 2 ** 40 + int(2 ** 31), Number.MAX_SAFE_INTEGER - int(1000)]),
    sequence: int(2 ** 32),
    position: pick([0, int(100), int(2 ** 32)]),
  };
  const usesK = mode.includes('topK') || mode === 'all';
  const usesP = mode.includes('topP') || mode === 'all';
  const usesMin = mode.includes('minP') || mode === 'all';
  if (usesK) p.topK = candidates === 1 ? 1 : 1 + int(candidates);
  if (usesP && candidates >= 32) p.topP = pick([0.5, 0.9, 0.95, 0.99, 0.999]);
  if (usesMin) p.minP = pick([0.0001, 0.001, 0.01, 0.05, 0.2]);
  if (rand() < 0.3) {
    p.repetitionPenalty = pick([1, 1.1, 1.5]);
    p.frequencyPenalty = pick([0, 0.1, 0.5]);
    p.presencePenalty = pick([0, 0.2, 1]);
    const counts = new Map<number, number>();
    // Penalise the leaders too, so the penalties move the candidates.
    for (let j = 0; j < 40; j++) counts.set(int(vocab), 1 + int(4));
    let best = 0;
    for (let i = 1; i < vocab; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
    counts.set(best, 1 + int(3));
    counts.set(int(vocab), 0);
    p.tokenCounts = counts;
  }
  if (rand() < 0.25) {
    const bans: number[] = [];
    for (let j = 0; j < 1 + int(30); j++) bans.push(int(vocab));
    p.bannedTokens = bans;
  }
  if (rand() < 0.08) p.forceToken = int(vocab);
  return p;
}

/** Asserts `got` is what the reference gives (the token and kept count only when not fragile). */
function expectMatches(got: SamplerRowResult, ref: ReferenceSample, what: string): void {
  const where = `${what} (RUMINATE_TEST_SEED=${seed})`;
  if (!ref.fragile) {
    expect(got.token, where).toBe(ref.token);
    expect(got.keptTokens, where).toBe(ref.keptTokens);
  }
  if (got.token === ref.token) expect(close(got.logprob, ref.logprob), `${where} logprob`).toBe(true);
  expect(close(got.entropy, ref.entropy), `${where} entropy ${got.entropy} vs ${ref.entropy}`).toBe(true);
  expect(close(got.selfCertainty, ref.selfCertainty), `${where} selfCertainty`).toBe(true);
  expect(close(got.logZ, ref.logZ), `${where} logZ`).toBe(true);
  expect(
    got.top.map((e) => e.token),
    `${where} top`,
  ).toEqual(ref.top.map((e) => e.token));
  got.top.forEach((e, j) => {
    expect(close(e.logprob, ref.top[j]?.logprob as number), `${where} top[${j}]`).toBe(true);
  });
}

describe('CPU sampler = sampleReference', () => {
  it('on many random rows (vocab, shape, mode, penalties, bans, forced, candidate cap, stream)', () => {
    const sampler = new CpuSampler();
    let rows = 0;
    let fragile = 0;
    let bitExact = 0;
    const vocabs = [1000, 1000, 1000, 8003, 32000];
    for (let r = 0; r < 360; r++) {
      const vocab = r < 300 ? pick(vocabs.slice(0, 4)) : pick(vocabs);
      const shape = pick<Shape>(['normal', 'peaked', 'flat', 'ties', 'masked']);
      const candidates = pick([1, 32, 64, 256]);
      const mode = MODES[r % MODES.length] as Mode;
      const logits = randomLogits(vocab, shape);
      const params = randomParams(vocab, mode, candidates, logits);
      const ref = sampleReference(logits, params, candidates);
      const got = sampler.sampleRow(logits, params, candidates);
      expectMatches(
        got,
        ref,
        `row ${r}: vocab ${vocab} ${shape} ${mode} C=${candidates} ${JSON.stringify(params, (_k, v) => (v instanceof Map ? [...v] : v))}`,
      );
      rows++;
      if (ref.fragile) fragile++;
      const { fragile: _f, distribution: _d, ...plain } = ref;
      if (JSON.stringify(got) === JSON.stringify(plain) && Object.is(got.logprob, ref.logprob)) bitExact++;
    }
    console.log(`cpu-sampler: ${rows} rows, ${fragile} fragile, ${bitExact} bit-identical to the reference`);
  });

  it('draws over the whole vocabulary exactly (temperature only at cap 1; min-p that no cut bounds)', () => {
    const sampler = new CpuSampler();
    let full = 0;
    for (let r = 0; r < 60; r++) {
      const vocab = pick([1000, 8003]);
      const shape = pick<Shape>(['normal', 'flat', 'ties', 'masked', 'peaked']);
      const logits = randomLogits(vocab, shape);
      const candidates = pick([1, 64]);
      const params: SamplerRowParams = {
        temperature: pick([0.5, 1, 2, 8]),
        seed: int(2 ** 31),
        sequence: int(8),
        position: int(4096),
        ...(r % 2 === 1 ? { minP: pick([1e-6, 1e-4, 0.01]) } : {}),
        ...(rand() < 0.3 ? { bannedTokens: [int(vocab), int(vocab)] } : {}),
      };
      const ref = sampleReference(logits, params, candidates);
      if (ref.keptTokens === undefined) full++;
      expectMatches(sampler.sampleRow(logits, params, candidates), ref, `full draw ${r} ${shape}`);
    }
    expect(full, 'rows the reference drew over the whole vocabulary').toBeGreaterThan(40);
  });

  it('handles edge rows: all banned, all −inf, tiny vocabularies, forced tokens, ties at the cap', () => {
    const sampler = new CpuSampler();
    const check = (logits: Float32Array, params: SamplerRowParams, c: number, what: string) =>
      expectMatches(sampler.sampleRow(logits, params, c), sampleReference(logits, params, c), what);
    const l5 = new Float32Array([1, 3, 3, 2, 3]);
    for (const c of [1, 32, 256]) {
      check(l5, { temperature: 0, sequence: 0, position: 0 }, c, `greedy ties C=${c}`);
      check(
        l5,
        { temperature: 1, sequence: 0, position: 0, bannedTokens: [0, 1, 2, 3, 4] },
        c,
        `all banned C=${c}`,
      );
      check(
        l5,
        { temperature: 0, sequence: 0, position: 0, bannedTokens: [4, 1, 2, 3, 0] },
        c,
        `greedy all banned`,
      );
      check(l5, { temperature: 1, sequence: 0, position: 0, forceToken: 3 }, c, `forced C=${c}`);
      const inf = new Float32Array(7).fill(Number.NEGATIVE_INFINITY);
      check(inf, { temperature: 0, sequence: 0, position: 0 }, c, `all −inf greedy C=${c}`);
      check(inf, { temperature: 1, sequence: 1, position: 2 }, c, `all −inf draw C=${c}`);
      inf[5] = 0;
      check(inf, { temperature: 1, sequence: 1, position: 2, minP: 0.5 }, c, `one finite C=${c}`);
    }
    // 300 equal leaders: the cap cuts a tie, resolved by lower id.
    const flat = new Float32Array(2000).fill(-1);
    for (let i = 0; i < 300; i++) flat[(i * 7) % 2000] = 2;
    for (const topK of [0, 10, 64]) {
      const p: SamplerRowParams = { temperature: 1, sequence: 3, position: 9, seed: 5, topK };
      check(flat, p, 64, `flat leaders topK=${topK}`);
      check(flat, { ...p, topK: 0, topP: 0.5 }, 256, 'flat leaders topP');
    }
  });

  it('breaks an exact Gumbel tie as the reference does (its order: value, then lower id)', () => {
    // At (seed 0, sequence 0, position 2527) tokens 7892 and 8127 draw the same, largest, uniform.
    const sampler = new CpuSampler();
    const logits = new Float32Array(8192);
    const at: SamplerRowParams = { temperature: 1, seed: 0, sequence: 0, position: 2527 };
    for (const [params, c] of [
      [at, 1],
      [{ ...at, minP: 0.5 }, 64],
      [{ ...at, topK: 256, bannedTokens: [...Array(7892).keys()] }, 256],
    ] as const) {
      const ref = sampleReference(logits, params, c);
      expect(ref.token).toBe(7892);
      expect(sampler.sampleRow(logits, params, c).token).toBe(7892);
    }
  });

  it('sampleRows rejects what the GPU path rejects', () => {
    const logits = new Float32Array(2 * 100);
    const ok: SamplerRowParams = { temperature: 1, sequence: 0, position: 0 };
    expect(() => sampleRows(logits, 100, [ok, { ...ok, topK: 65 }], 64)).toThrow(/topK/);
    expect(() => sampleRows(logits, 100, [ok, { ...ok, bannedTokens: [100] }], 64)).toThrow(/bannedTokens/);
    expect(() => sampleRows(logits, 100, [ok, ok, ok], 64)).toThrow(/logits/);
  });

  it('sampleRows reads row i at i·vocab', () => {
    const vocab = 777;
    const rows: SamplerRowParams[] = [];
    const logits = new Float32Array(5 * vocab);
    for (let i = 0; i < 5; i++) {
      logits.set(randomLogits(vocab, 'normal'), i * vocab);
      rows.push({ temperature: i === 0 ? 0 : 1, topP: 0.9, sequence: i, position: 7, seed: 11 });
    }
    const got = sampleRows(logits, vocab, rows, 256);
    got.forEach((g, i) => {
      const ref = sampleReference(
        logits.subarray(i * vocab, (i + 1) * vocab),
        rows[i] as SamplerRowParams,
        256,
      );
      expectMatches(g, ref, `batch row ${i}`);
    });
  });
});

describe('CPU sampler pieces', () => {
  it('GumbelStream is streamGumbel, and never exceeds GUMBEL_MAX', () => {
    for (let r = 0; r < 50; r++) {
      const s = pick([0, int(2 ** 31), 2 ** 45 + int(2 ** 20)]);
      const seq = int(2 ** 32);
      const pos = int(2 ** 32);
      const g = new GumbelStream(s, seq, pos);
      for (let j = 0; j < 40; j++) {
        const t = pick([int(16), int(200_000), 0xfffffffe - int(8)]);
        const v = g.at(t);
        expect(v).toBe(streamGumbel(seedKey(s), seq, pos, t));
        expect(v).toBeLessThan(GUMBEL_MAX);
      }
    }
  });

  it('TopSelection is a stable descending sort prefix (ties by lower index, −inf included)', () => {
    const sel = new TopSelection();
    for (let r = 0; r < 100; r++) {
      const n = 1 + int(3000);
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = rand() < 0.1 ? Number.NEGATIVE_INFINITY : int(20);
      const mask = rand() < 0.5 ? undefined : Uint8Array.from({ length: n }, () => (rand() < 0.3 ? 1 : 0));
      const k = pick([0, 1, 20, 64, 256, n + 5]);
      const want = [...Array(n).keys()]
        .filter((i) => !mask?.[i])
        .sort((a, b) => (v[b] as number) - (v[a] as number) || a - b)
        .slice(0, k);
      expect([...sel.select(v, k, mask)]).toEqual(want);
    }
  });

  it('maps engine requests to row params and results to SampledToken', () => {
    const s: RowSampling = {
      row: 0,
      params: { temperature: 0.8, topK: 40, topP: 0.9, seed: 3, bannedTokens: [2], repetitionPenalty: 1.1 },
      stream: 7,
      position: 12,
      want: { topLogprobs: 2, entropy: true },
      forceToken: undefined,
      history: [5, 5, 6],
    };
    expect(samplerRowParams(s)).toEqual({
      temperature: 0.8,
      topK: 40,
      topP: 0.9,
      repetitionPenalty: 1.1,
      seed: 3,
      sequence: 7,
      position: 12,
      tokenCounts: new Map([
        [5, 2],
        [6, 1],
      ]),
      bannedTokens: [2],
    });
    const r: SamplerRowResult = {
      token: 4,
      logprob: -0.5,
      entropy: 1.2,
      selfCertainty: -3,
      logZ: 9,
      keptTokens: 3,
      top: [
        { token: 4, logprob: -0.5 },
        { token: 1, logprob: -1 },
        { token: 0, logprob: -2 },
      ],
    };
    expect(toSampledToken(r, s.want)).toEqual({
      token: 4,
      logprob: -0.5,
      topLogprobs: r.top.slice(0, 2),
      entropy: 1.2,
    });
    expect(toSampledToken({ ...r, token: SAMPLER_NONE }, undefined)).toEqual({
      token: SAMPLER_NONE,
      logprob: -0.5,
    });
  });
});

describe('CPU sampler timing (printed, not asserted)', () => {
  it('16 rows × 32000 vocab: greedy and top-p, reference vs CPU sampler', () => {
    const vocab = 32000;
    const rows = 16;
    const logits = new Float32Array(rows * vocab);
    for (let i = 0; i < rows; i++) logits.set(randomLogits(vocab, 'normal'), i * vocab);
    const batches: [string, SamplerRowParams[], number][] = [
      ['greedy', [...Array(rows).keys()].map((i) => ({ temperature: 0, sequence: i, position: 1 })), 1],
      [
        'top-p 0.9, T 0.8',
        [...Array(rows).keys()].map((i) => ({
          temperature: 0.8,
          topP: 0.9,
          sequence: i,
          position: 1,
          seed: 1,
        })),
        256,
      ],
      [
        'temperature 1 (cap 1)',
        [...Array(rows).keys()].map((i) => ({ temperature: 1, sequence: i, position: 1 })),
        1,
      ],
    ];
    const time = (f: () => void, reps: number) => {
      f(); // warm up
      const t0 = performance.now();
      for (let k = 0; k < reps; k++) f();
      return (performance.now() - t0) / reps;
    };
    for (const [name, params, c] of batches) {
      const ref = time(() => {
        for (let i = 0; i < rows; i++)
          sampleReference(logits.subarray(i * vocab, (i + 1) * vocab), params[i] as SamplerRowParams, c);
      }, 2);
      const cpu = time(() => sampleRows(logits, vocab, params, c), 10);
      console.log(
        `cpu-sampler timing, ${rows}×${vocab} ${name} (C=${c}): reference ${ref.toFixed(1)} ms, cpu ${cpu.toFixed(2)} ms (${(ref / cpu).toFixed(0)}×)`,
      );
    }
  });
});
