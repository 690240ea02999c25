// Ruminate's WebAssembly (CPU) backend against llama.cpp (node-llama-cpp 3.21.1, CPU) on the
// project's random-weight fixtures with peaked logits: greedy continuations and teacher-forced
// top-5 log-probabilities for every weight type and architecture, and a batched run (several
// sequences and forks in one step) against llama.cpp's separate runs. The same checks as the
// WebGPU suite (parity-engine.parity.test.ts), through parity-suite.ts.
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { KEY_FIXTURES, keyFixture } from '../../../tools/fixtures/key-fixtures.ts';
import { type StandardFixture, standardFixture } from '../../../tools/fixtures/standard-fixtures.ts';
import type { LoadedModel } from '../src/engine/load-model.ts';
import { loadWasmModel } from '../src/engine/load-wasm-model.ts';
import { memorySource } from '../src/gguf/memory-source.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import { disposeLlamaCpp, llamaCppGreedy } from './parity-llama-cpp.ts';
import {
  checkAgainstLlamaCpp,
  checkBatchedAgainstLlamaCpp,
  fractionBelow,
  PARITY_PROMPT,
  PARITY_STEPS,
  type ParityTolerance,
} from './parity-suite.ts';

const loaded: LoadedModel[] = [];
afterAll(async () => {
  for (const m of loaded) m.model.destroy();
  await disposeLlamaCpp();
});

async function load(name: StandardFixture, threads: number, maxSequences = 4, file?: string) {
  const path = file ?? (await standardFixture(name));
  const src = memorySource(new Uint8Array(await readFile(path)), path);
  const m = await loadWasmModel(await parseGguf(src), src, { contextLength: 128, maxSequences, threads });
  loaded.push(m);
  return { path, m };
}

/**
 * Tolerances, by what each side does to activations (measured 2026-12, node-llama-cpp 3.21.1's
 * x86 CPU build, 32 teacher-forced steps; worst |Δlogprob| over llama.cpp's top-5 in brackets):
 * - f32 [3.3e-5 llama, 3.3e-5 qwen2, 2.5e-5 qwen3]: f32 math on both sides in other summation
 *   orders; `lpTol` 1e-3.
 * - f16 [1.4e-2]: llama.cpp rounds activations to f16 before each matmul, this backend keeps f32
 *   (the GPU suite's bounds, 3e-2). bf16 [6.5e-2]: llama.cpp rounds them to bf16 (8-bit
 *   mantissa); `lpTol` 0.15, and greedy left undecided below a 0.2 margin.
 * - q8_0 [5.4e-6], q4_0 [6.7e-6; 0.019 in the batched run]: both sides round activations to q8_0
 *   the same way (x86 quantize_row_q8_0: round-to-even of x·127/amax in f32, f16 scale) and
 *   compute the same integer sums, so steps agree to f32 noise (`tight`: ≥ 75% of steps below
 *   1e-3; measured 100%, and 97% of the batched run's forced steps). Rarely an activation lands
 *   within f32 noise of a rounding tie (x·127/amax ≈ n + ½) and the two sides round it apart,
 *   which moves the log-probabilities after it (the batched run's 0.019); `lpTol` 0.4 as on the GPU.
 * - q5_0 [0.20; 4e-6 for the first 10 steps, 0.03–0.2 from step 10 on]: the float64 reference
 *   with the same 8-bit activations agrees with llama.cpp to 3e-6 for 30 of these 32 steps, and
 *   this backend agrees with that reference to 5e-6 until step 10, on 1 and 2 threads alike: a
 *   rounding flip in this backend's own f32 arithmetic. Its integer kernels add the weight offset
 *   in f32 (Σq·x·d_w·d_x + (−16·d_w)·(d_x·Σx), q in 0…31 around 16: two terms that cancel),
 *   where llama.cpp sums Σ(q−16)·x exactly in integers; not `tight`, `lpTol` 0.4.
 * - q4_1 [0.40]: llama.cpp pairs it with q8_1, whose block sum s = f16(amax/127 · Σq) is rounded
 *   to f16 from the unrounded scale; this backend sums the same 8-bit values exactly (f16 scale
 *   times the integer sum), which the q4_1 min multiplies: a systematic difference of the size
 *   of the 8-bit rounding itself; `lpTol` 0.6, margin 0.5.
 * - k-quants [q4_k 0.53, q5_k 0.44, q6_k 0.55]: llama.cpp rounds activations to q8_K (one f32
 *   scale per 256), this backend to q8_0 (f16 scale per 32): different roundings; `lpTol` 0.8,
 *   margin 0.5. q5_k's fixture has margins 0.45, 0.23 at its first steps, so its free greedy
 *   sequence is undecided from step 0: `forcedArgmax` (every case) compares the teacher-forced
 *   sequence's top-1 with llama.cpp's at each step whose margin is ≥ `margin` instead.
 */
type WasmCase = ParityTolerance & {
  name: StandardFixture;
  threads: number;
  /** Share of steps whose worst |Δlogprob| is below `below` (q8_0-family: both sides round alike). */
  tight?: { below: number; fraction: number };
  skip?: string;
};
const TIGHT = { below: 1e-3, fraction: 0.75 };
const cases: WasmCase[] = [
  { name: 'llama-f32', threads: 1, margin: 1e-2, lpTol: 1e-3 },
  { name: 'llama-f16', threads: 2, margin: 5e-2, lpTol: 3e-2 },
  { name: 'llama-bf16', threads: 1, margin: 0.2, lpTol: 0.15 },
  { name: 'llama-q8_0', threads: 2, margin: 0.25, lpTol: 0.4, tight: TIGHT },
  { name: 'llama-q4_0', threads: 1, margin: 0.25, lpTol: 0.4, tight: TIGHT },
  { name: 'llama-q4_1', threads: 2, margin: 0.5, lpTol: 0.6 },
  { name: 'llama-q5_0', threads: 1, margin: 0.25, lpTol: 0.4 },
  { name: 'llama-q4_k', threads: 2, margin: 0.5, lpTol: 0.8 },
  { name: 'llama-q5_k', threads: 1, margin: 0.5, lpTol: 0.8, minDecided: 0 },
  { name: 'llama-q6_k', threads: 2, margin: 0.5, lpTol: 0.8 },
  { name: 'qwen2-f32', threads: 1, margin: 1e-2, lpTol: 1e-3 },
  { name: 'qwen3-f32', threads: 2, margin: 1e-2, lpTol: 1e-3 },
  {
    name: 'mixtral-f32', // llama with 4 experts, 2 used
    threads: 1,
    margin: 1e-2,
    lpTol: 1e-3,
  },
  // Phi-3 (fused q|k|v and gate|up, RoPE on 96 of 128 dims, LongRoPE: long factors in f32, short
  // in q4_0 with attn_factor 1.19), Gemma 2 (soft-caps, post-norms, GeGLU, window 16 on layer 0)
  // and Gemma 3 (q/k norms, window 16 on two layers of three, two RoPE bases): 12 + 32 tokens
  // reach well past the window.
  { name: 'phi3-f32', threads: 1, margin: 1e-2, lpTol: 1e-3 },
  { name: 'phi3-q4_0', threads: 2, margin: 0.25, lpTol: 0.4, tight: TIGHT },
  // Gemma f32 [gemma2 1.1e-3, gemma3 2.9e-3]: the fixtures' post-norms (mean 48) carry large
  // residuals, where two f32 summation orders part more than elsewhere; `lpTol` 5e-3. gemma3
  // q8_0 [0.39, 59% of steps within 1e-3]: rounding flips of the 8-bit activations (see q5_0)
  // move more there than in gemma2 (100% within 1e-3); not `tight`, `lpTol` 0.5.
  { name: 'gemma2-f32', threads: 2, margin: 1e-2, lpTol: 5e-3 },
  { name: 'gemma2-q8_0', threads: 1, margin: 0.25, lpTol: 0.4, tight: TIGHT },
  { name: 'gemma3-f32', threads: 1, margin: 1e-2, lpTol: 5e-3 },
  { name: 'gemma3-q8_0', threads: 2, margin: 0.25, lpTol: 0.5 },
  {
    // 4 experts, top-2, sigmoid-gated shared expert. Unlike dense q8_0 (5e-6), only 6% of steps
    // match llama.cpp within 1e-3 (worst 0.22, 2026-12-07), though the backend matches the float64
    // reference with the same rounding to 1e-7 (model-wasm.test.ts): some rounding in llama.cpp's
    // MoE path differs from ours and is not found yet, so no tight check here.
    name: 'qwen2moe-q8_0',
    threads: 2,
    margin: 0.25,
    lpTol: 0.4,
  },
];

describe('WebAssembly engine vs llama.cpp', () => {
  for (const c of cases) {
    const title = `${c.name} (${c.threads} thread${c.threads > 1 ? 's' : ''}): 32-token greedy and teacher-forced top-5 log-probabilities`;
    if (c.skip) {
      it.skip(`${title} — skipped: ${c.skip}`, () => {});
      continue;
    }
    it(title, async () => {
      const { path, m } = await load(c.name, c.threads);
      const ref = await llamaCppGreedy(path, PARITY_PROMPT, PARITY_STEPS);
      const r = await checkAgainstLlamaCpp(c.name, m.engine, PARITY_PROMPT, ref, {
        ...c,
        forcedArgmax: true,
      });
      expect(r.argmaxCompared, `${c.name}: teacher-forced top-1 compared`).toBeGreaterThanOrEqual(16);
      if (c.tight) {
        const f = fractionBelow(r.stepWorst, c.tight.below);
        console.log(`${c.name}: ${(100 * f).toFixed(0)}% of steps within ${c.tight.below}`);
        expect(f, `${c.name}: share of steps matching llama.cpp to ${c.tight.below}`).toBeGreaterThanOrEqual(
          c.tight.fraction,
        );
      }
      expect(m.engine.kv.sequences, 'every sequence freed').toBe(0);
    });
  }

  it('llama-q4_0 batched: 3 prompts (one a prefix of another), forced and greedy, forks after 6 steps — 8 sequences per step', async () => {
    const { path, m } = await load('llama-q4_0', 2, 16);
    const prompts = [PARITY_PROMPT, [1, 400, 23, 9, 310, 77, 5], [...PARITY_PROMPT.slice(0, 8), 42, 420, 3]];
    const streams = [];
    for (const prompt of prompts) streams.push({ prompt, ref: await llamaCppGreedy(path, prompt, 16) });
    const r = await checkBatchedAgainstLlamaCpp('llama-q4_0 batched', m.engine, streams, {
      margin: 0.25,
      lpTol: 0.4,
      forkAt: 6,
      forcedArgmax: true,
    });
    const f = fractionBelow(r.stepWorst, TIGHT.below);
    console.log(`llama-q4_0 batched: ${(100 * f).toFixed(0)}% of forced steps within ${TIGHT.below}`);
    expect(r.decided, 'greedy tokens compared').toBeGreaterThanOrEqual(12);
    expect(r.argmaxCompared, 'teacher-forced top-1 compared').toBeGreaterThanOrEqual(24);
    expect(f, 'share of forced steps matching llama.cpp').toBeGreaterThanOrEqual(TIGHT.fraction);
    expect(m.engine.kv.sequences, 'every sequence freed').toBe(0);
  });

  it('gemma3-f32 batched past its sliding window: 3 prompts, forced and greedy, forks after 6 steps', async () => {
    const { path, m } = await load('gemma3-f32', 2, 16);
    const prompts = [PARITY_PROMPT, [1, 400, 23, 9, 310, 77, 5], [...PARITY_PROMPT.slice(0, 8), 42, 420, 3]];
    const streams = [];
    for (const prompt of prompts) streams.push({ prompt, ref: await llamaCppGreedy(path, prompt, 16) });
    // 12 + 16 positions: the sliding layers' 16-token window moves during the run.
    const r = await checkBatchedAgainstLlamaCpp('gemma3-f32 batched', m.engine, streams, {
      margin: 1e-2,
      lpTol: 5e-3,
      forkAt: 6,
      forcedArgmax: true,
    });
    expect(r.decided, 'greedy tokens compared').toBeGreaterThanOrEqual(12);
    expect(r.argmaxCompared, 'teacher-forced top-1 compared').toBeGreaterThanOrEqual(24);
    expect(m.engine.kv.sequences, 'every sequence freed').toBe(0);
  });
});

// Issue #22's metadata variants on this backend too: per architecture, every optional key present,
// the optional keys absent, and llama.cpp's alternative spellings (f32, 16 steps each).
describe('WebAssembly engine vs llama.cpp on metadata variants', () => {
  for (const [i, name] of Object.keys(KEY_FIXTURES).entries()) {
    it(`${name}: 16-token greedy and teacher-forced top-5 log-probabilities`, async () => {
      const path = await keyFixture(name);
      const { m } = await load('llama-f32', 1 + (i % 2), 4, path);
      const ref = await llamaCppGreedy(path, PARITY_PROMPT, 16);
      // (Gemma's large residuals: see the Gemma cases above.)
      const lpTol = name.startsWith('gemma') ? 1e-2 : 1e-3;
      await checkAgainstLlamaCpp(name, m.engine, PARITY_PROMPT, ref, { margin: 1e-2, lpTol });
    });
  }
});
