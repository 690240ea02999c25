// Constrained sampling on the GPU: TokenMaskOp then SamplerOp in one command encoder, on fresh
// random logits and random packed masks, against the float64 sampleReference over the masked
// logits (−∞ where the mask disallows a token). Checks the masked logits bit for bit, and the
// token, log-probability, entropy, log Z, top log-probabilities and self-certainty of every row.
import { describe, expect, it } from 'vitest';
import type { KernelContext } from '../src/ops/context.ts';
import { SamplerOp } from '../src/ops/sampling/sampler.ts';
import {
  decodeSamplerOutput,
  packSamplerParams,
  SAMPLER_NONE,
  type SamplerRowParams,
  type SamplerRowResult,
} from '../src/ops/sampling/sampler-params.ts';
import { sampleReference } from '../src/ops/sampling/sampler-reference.ts';
import { TokenMaskOp, tokenMaskWords } from '../src/ops/sampling/token-mask.ts';
import {
  freshSeed,
  POISON_BITS,
  poisonedBuffer,
  readBuffer,
  seededRandom,
  testKernelContext,
  uploadBuffer,
} from '../src/testing/index.ts';

// The sampler's own tolerance (sampling.gpu.test.ts): f32 log-sum-exp over ≤ 32k values against
// float64 is good to ~1e-6 relative of log Z (~10); 2e-4 absolute leaves margin while a wrong
// formula (a masked token counted, a wrong max) is off by far more.
const STAT_TOL = { atol: 2e-4, rtol: 1e-5 };
/**
 * Self-certainty as the kernel writes it divides the allowed logits' sum by the whole vocabulary
 * V; the runtime's `rescaleSelfCertainty` recovers the sum by multiplying (certainty − log V +
 * log Z) by V and divides it by the A allowed tokens, so the kernel's f32 rounding of the
 * certainty (~1e-6 of ~10) is amplified by V/A: the tolerance scales the same way.
 */
const RESCALED_ATOL_PER_V_OVER_A = 2e-5;

/** Random logits: noise in [−4, 4), or peaked like a trained model's (odd rows). */
function makeLogits(rows: number, vocab: number, rand: () => number): Float32Array {
  const x = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < vocab; i++) {
      const u = rand();
      x[r * vocab + i] = r % 2 === 1 ? -3 + 14 * u ** 8 : -4 + 8 * u;
    }
  }
  return x;
}

/** What a row's mask allows: every token, one token, a few, or a random fraction. */
type MaskKind = 'all' | 'one' | 'few' | 'sparse' | 'half' | 'dense';

/** A packed mask (bit t % 32 of word t / 32), with random garbage in the bits past `vocab`. */
function makeMask(vocab: number, kind: MaskKind, rand: () => number): Uint32Array {
  const words = tokenMaskWords(vocab);
  const mask = new Uint32Array(words);
  const allow = (t: number) => {
    mask[t >>> 5] = (mask[t >>> 5] as number) | (1 << (t & 31));
  };
  if (kind === 'all') mask.fill(0xffffffff);
  else if (kind === 'one') allow(Math.floor(rand() * vocab));
  else if (kind === 'few') for (let j = 0; j < 7; j++) allow(Math.floor(rand() * vocab));
  else {
    const p = kind === 'sparse' ? 0.02 : kind === 'half' ? 0.5 : 0.97;
    for (let t = 0; t < vocab; t++) if (rand() < p) allow(t);
    // Whole all-ones words in a dense row: the kernel's early exit.
    if (kind === 'dense') for (let w = 0; w < words - 1; w += 3) mask[w] = 0xffffffff;
  }
  // Bits past the vocabulary must be ignored (XGrammar pads its rows).
  if (vocab % 32 !== 0) {
    const tail = (Math.floor(rand() * 2 ** 32) & ~((1 << (vocab % 32)) - 1)) >>> 0;
    mask[words - 1] = ((mask[words - 1] as number) | tail) >>> 0;
  }
  if (kind !== 'all' && maskedLogits(new Float32Array(vocab), mask).every((x) => x === -Infinity)) allow(0);
  return mask;
}

/** One row's logits with disallowed tokens set to −∞ (the CPU's view of the kernel's job). */
function maskedLogits(row: Float32Array, mask: Uint32Array): Float32Array {
  const out = row.slice();
  for (let t = 0; t < out.length; t++)
    if ((((mask[t >>> 5] as number) >>> (t & 31)) & 1) === 0) out[t] = -Infinity;
  return out;
}

/** Greedy and seeded temperature / top-k / top-p / min-p rows (cap-1 batches: no top-p). */
function rowParams(rows: number, rand: () => number, kc: number): SamplerRowParams[] {
  return Array.from({ length: rows }, (_, r) => {
    const base: SamplerRowParams = {
      temperature: 0.5 + rand(),
      sequence: Math.floor(rand() * 1e6),
      position: Math.floor(rand() * 4000),
      seed: Math.floor(rand() * 2 ** 40),
    };
    const kind = r % 5;
    if (kind === 0) return { ...base, temperature: 0 };
    if (kind === 1) return base;
    if (kind === 2) return { ...base, topK: 1 + Math.floor(rand() * kc) };
    if (kind === 3 && kc > 1) return { ...base, topP: 0.5 + 0.45 * rand() };
    return { ...base, minP: 0.02 + 0.2 * rand() };
  });
}

describe('TokenMaskOp → SamplerOp on SwiftShader', () => {
  const seed = freshSeed();
  // One context for both tests: SwiftShader compiles the sampler's pipelines slowly.
  let shared: Promise<KernelContext> | undefined;
  const context = () => {
    shared ??= testKernelContext();
    return shared;
  };

  async function runCase(
    ctx: KernelContext,
    ops: { mask: TokenMaskOp; sampler: SamplerOp },
    vocab: number,
    kinds: MaskKind[],
    candidates: number,
    rand: () => number,
  ): Promise<{ agreed: number; worstRescaledErr: number }> {
    const { device } = ctx;
    const rows = kinds.length;
    const logits = makeLogits(rows, vocab, rand);
    const masks = kinds.map((k) => makeMask(vocab, k, rand));
    const packed = new Uint32Array(rows * tokenMaskWords(vocab));
    for (const [r, m] of masks.entries()) packed.set(m, r * tokenMaskWords(vocab));
    const params = rowParams(rows, rand, candidates);
    const logitsBuf = uploadBuffer(device, logits);
    const out = poisonedBuffer(device, SamplerOp.outputBytes(rows));
    const enc = device.createCommandEncoder();
    ops.mask.encode(enc, { logits: logitsBuf, mask: uploadBuffer(device, packed), rows, vocab });
    ops.sampler.encode(enc, {
      logits: logitsBuf,
      params: uploadBuffer(device, packSamplerParams(params, vocab, candidates)),
      out,
      rows,
      vocab,
      candidates,
    });
    device.queue.submit([enc.finish()]);
    const data = await readBuffer(device, out);
    const what = `seed ${seed} vocab ${vocab} C=${candidates}`;
    expect(
      new Uint32Array(data).every((w) => w !== POISON_BITS),
      `${what}: every sampler output word written`,
    ).toBe(true);
    // The kernel's output: exactly the CPU's masking (finite logits untouched, bit for bit).
    const gotLogits = new Float32Array(await readBuffer(device, logitsBuf));
    const results = decodeSamplerOutput(data, rows);
    let agreed = 0;
    let worstRescaledErr = 0;
    for (let r = 0; r < rows; r++) {
      const label = `${what} row ${r} (${kinds[r]}) ${JSON.stringify(params[r])}`;
      const expected = maskedLogits(logits.subarray(r * vocab, (r + 1) * vocab), masks[r] as Uint32Array);
      expect(Array.from(gotLogits.subarray(r * vocab, (r + 1) * vocab)), `${label}: masked logits`).toEqual(
        Array.from(expected),
      );
      const got = results[r] as SamplerRowResult;
      const ref = sampleReference(expected, params[r] as SamplerRowParams, candidates);
      const allowed = expected.filter((x) => x > -Infinity).length;
      const close = (a: number, e: number, atol: number, name: string) =>
        expect(Math.abs(a - e), `${label}: ${name} ${a} vs float64 ${e}`).toBeLessThanOrEqual(
          atol + STAT_TOL.rtol * Math.abs(e),
        );
      close(got.entropy, ref.entropy, STAT_TOL.atol, 'entropy');
      close(got.logZ, ref.logZ, STAT_TOL.atol, 'logZ');
      // Self-certainty as the kernel writes it: log V + (Σ allowed logits) / V − log Z.
      let sum = 0;
      for (const x of expected) if (x > -Infinity) sum += x;
      close(got.selfCertainty, Math.log(vocab) + sum / vocab - ref.logZ, STAT_TOL.atol, 'raw selfCertainty');
      // …and after the runtime's correction (rescaleSelfCertainty's formula), the reference's:
      // mean over the allowed tokens of log(A·p).
      const rescaled =
        allowed === vocab
          ? got.selfCertainty
          : Math.log(allowed) +
            ((got.selfCertainty - Math.log(vocab) + got.logZ) * vocab) / allowed -
            got.logZ;
      const atol = STAT_TOL.atol + RESCALED_ATOL_PER_V_OVER_A * (vocab / allowed);
      worstRescaledErr = Math.max(
        worstRescaledErr,
        Math.abs(rescaled - ref.selfCertainty) / (vocab / allowed),
      );
      close(rescaled, ref.selfCertainty, atol, 'rescaled selfCertainty');
      // Top log-probabilities: a disallowed token is listed only with −∞ (the runtime drops
      // those), and the finite entries are the reference's, in order.
      for (const e of got.top) {
        if (expected[e.token] === -Infinity)
          expect(e.logprob, `${label}: masked token ${e.token} listed`).toBe(-Infinity);
      }
      const finite = (xs: readonly { token: number; logprob: number }[]) =>
        xs.filter((e) => e.logprob > -Infinity);
      expect(
        finite(got.top).map((e) => e.token),
        `${label}: top ids`,
      ).toEqual(finite(ref.top).map((e) => e.token));
      finite(got.top).forEach((e, j) => {
        close(e.logprob, (finite(ref.top)[j] as { logprob: number }).logprob, STAT_TOL.atol, `top[${j}]`);
      });
      if (candidates > 1) expect(finite(got.top).length, label).toBe(Math.min(20, allowed));
      // The token: always an allowed one; the reference's unless the decision is a near-tie.
      expect(got.token, `${label}: token`).not.toBe(SAMPLER_NONE);
      expect(expected[got.token], `${label}: token ${got.token} allowed`).toBeGreaterThan(-Infinity);
      if (allowed === 1) expect(got.token, `${label}: the one allowed token`).toBe(ref.token);
      if (got.token === ref.token && got.keptTokens === ref.keptTokens) {
        agreed++;
        close(got.logprob, ref.logprob, STAT_TOL.atol, 'logprob');
      } else if (!ref.fragile) {
        throw new Error(`${label}: token ${got.token} vs reference ${ref.token}, not a near-tie`);
      }
    }
    return { agreed, worstRescaledErr };
  }

  it('masks and samples like the float64 reference over the masked logits (greedy, temperature, top-k, top-p, min-p)', async () => {
    const ctx = await context();
    const ops = { mask: await TokenMaskOp.prepare(ctx), sampler: await SamplerOp.prepare(ctx) };
    const rand = seededRandom(seed);
    const kinds: MaskKind[] = [
      'all',
      'one',
      'few',
      'sparse',
      'half',
      'dense',
      'all',
      'half',
      'sparse',
      'dense',
    ];
    // Vocabularies that are multiples of neither 32 nor the sampler's 1024-token chunks; 32 000
    // (a multiple of 32) is one of XGrammar's real vocabulary shapes.
    const cases: [number, number][] = [
      [3001, 256],
      [777, 64],
      [5003, 1], // the cap-1 path (chunk_best): greedy, temperature-only, top-k 1, min-p
      [32000, 256],
    ];
    let worst = 0;
    for (const [vocab, candidates] of cases) {
      const rowsKinds = vocab === 32000 ? kinds.slice(0, 5) : kinds;
      const { agreed, worstRescaledErr } = await runCase(ctx, ops, vocab, rowsKinds, candidates, rand);
      worst = Math.max(worst, worstRescaledErr);
      // Near-ties are rare on random logits: at most one row may differ.
      expect(agreed, `seed ${seed} vocab ${vocab}`).toBeGreaterThanOrEqual(rowsKinds.length - 1);
    }
    console.log(`token-mask: rescaled self-certainty error ≤ ${worst.toExponential(2)} × V/A (seed ${seed})`);
    ops.mask.destroy();
  });

  it('leaves all-ones rows bit-identical to an unmasked sampler run', async () => {
    const ctx = await context();
    const { device } = ctx;
    const mask = await TokenMaskOp.prepare(ctx);
    const sampler = await SamplerOp.prepare(ctx);
    const rand = seededRandom(seed ^ 0x7a5c);
    const vocab = 4099;
    const rows = 3;
    const logits = makeLogits(rows, vocab, rand);
    const params = rowParams(rows, rand, 256);
    const run = async (masked: boolean) => {
      const buf = uploadBuffer(device, logits);
      const out = poisonedBuffer(device, SamplerOp.outputBytes(rows));
      const enc = device.createCommandEncoder();
      if (masked) {
        const ones = new Uint32Array(rows * tokenMaskWords(vocab)).fill(0xffffffff);
        mask.encode(enc, { logits: buf, mask: uploadBuffer(device, ones), rows, vocab });
      }
      const packed = uploadBuffer(device, packSamplerParams(params, vocab, 256));
      sampler.encode(enc, { logits: buf, params: packed, out, rows, vocab });
      device.queue.submit([enc.finish()]);
      return new Uint32Array(await readBuffer(device, out));
    };
    expect(Array.from(await run(true)), `seed ${seed}`).toEqual(Array.from(await run(false)));
    mask.destroy();
  });
});
