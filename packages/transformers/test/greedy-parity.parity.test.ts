// Greedy parity between transformers.js (onnxruntime-node, on the converter's ONNX: fp32, and for
// the q4_0 model also its 4-bit MatMulNBits file) and
// Ruminate's WebAssembly backend, on the bundled model and the peers benchmark's 31M Q4_0 llama:
// wherever Ruminate's top-2 log-probability margin exceeds 0.1, both pick the same token. The
// transformers.js side is teacher-forced along Ruminate's tokens, so one near-tie does not make
// every later position incomparable. (The browser's wasm and WebGPU devices: e2e/tests/transformers.spec.ts.)
import { join } from 'node:path';
import { RuminateEngine, type StepResult } from '@ruminate/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { benchPrompt, peerFixture } from '../../../bench/peers/fixture.ts';
import { FIXTURE_DIR, REPO_ROOT } from '../../../tools/fixtures/standard-fixtures.ts';
import { convertedFolder } from '../src/convert/index.ts';
import { transformersEngine } from '../src/index.ts';

/** Positions whose top-2 margin is below this are near-ties: either token is a right answer. */
const MARGIN = 0.1;

const open: { unload(): Promise<void> }[] = [];
afterAll(async () => {
  for (const e of open) await e.unload();
});

interface Compared {
  checked: number;
  positions: number;
  mismatches: string[];
}

/** Greedy `n` tokens of each prompt on both engines; mismatches at confident positions. */
async function compare(
  gguf: string,
  folder: string,
  prompts: number[][],
  n: number,
  dtype: 'fp32' | 'q4' = 'fp32',
): Promise<Compared> {
  const ruminate = new RuminateEngine({ backend: 'wasm' });
  const tjs = transformersEngine({ device: 'cpu', dtype });
  open.push(ruminate, tjs);
  await ruminate.load(gguf, { threads: 1, contextLength: 256 });
  await tjs.load(folder);
  const out: Compared = { checked: 0, positions: 0, mismatches: [] };
  for (const [p, prompt] of prompts.entries()) {
    const a = await ruminate.createSequence(prompt);
    const b = await tjs.createSequence(prompt);
    for (let i = 0; i < n; i++) {
      const [r] = (await ruminate.step([
        { seq: a, sampling: { temperature: 0 }, want: { topLogprobs: 2 } },
      ])) as [StepResult];
      const [t] = (await tjs.step([
        { seq: b, sampling: { temperature: 0 }, forceToken: r.token, want: { topLogprobs: 1 } },
      ])) as [StepResult];
      out.positions++;
      const [first, second] = r.topLogprobs ?? [];
      if (first && second && first.logprob - second.logprob > MARGIN) {
        out.checked++;
        const picked = t.topLogprobs?.[0]?.token;
        if (picked !== r.token)
          out.mismatches.push(`prompt ${p} step ${i}: ruminate ${r.token}, transformers.js ${picked}`);
      }
      if (r.eos) break;
    }
    await ruminate.free(a);
    await tjs.free(b);
  }
  await ruminate.unload();
  await tjs.unload();
  console.log(
    `${gguf}: ${out.checked} of ${out.positions} positions past the margin, ${out.mismatches.length} mismatches`,
  );
  return out;
}

describe('greedy parity, transformers.js (converted ONNX) vs Ruminate (wasm backend)', () => {
  it('the bundled model: 8 eval problems, to EOS', async () => {
    const { readFile } = await import('node:fs/promises');
    const lines = (await readFile(join(REPO_ROOT, 'models', 'mul-eval.jsonl'), 'utf8')).trim().split('\n');
    const tokens = (s: string) => [0, ...[...s].map((c) => '0123456789*+=,#:AB'.indexOf(c) + 2)];
    const prompts = lines.slice(0, 8).map((l) => tokens((JSON.parse(l) as { prompt: string }).prompt));
    const r = await compare(
      join(REPO_ROOT, 'models', 'mul-q8_0.gguf'),
      join(REPO_ROOT, 'models', 'mul-onnx'),
      prompts,
      81,
    );
    expect(r.mismatches).toEqual([]);
    expect(r.checked).toBeGreaterThan(0.5 * r.positions);
  });

  it.each(['fp32', 'q4'] as const)(
    'the peers benchmark 31M Q4_0 llama (%s ONNX): 2 prompts × 32 tokens',
    async (dtype) => {
      const gguf = await peerFixture();
      const folder = await convertedFolder(gguf, join(FIXTURE_DIR, 'onnx'));
      const prompts = [(await benchPrompt(gguf, 40)).ids, (await benchPrompt(gguf, 24, 7)).ids];
      const r = await compare(gguf, folder, prompts, 32, dtype);
      expect(r.mismatches).toEqual([]);
      expect(r.checked).toBeGreaterThan(0.3 * r.positions);
    },
  );
});
