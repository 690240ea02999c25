// The Engine contract over transformers.js (onnxruntime-node here; the browser runs wasm and
// WebGPU in e2e/tests/transformers.spec.ts), on the bundled model in its ONNX form: the committed
// folder is what the converter writes today, sequences fork/truncate/append/free, a batched step
// gives each row what it gets alone (greedy and seeded), chat template and tokenizer, and every
// failure is a RuminateError with its code.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRuminateError, RuminateError } from '@ruminate/errors';
import { openFileSource, parseGguf, type SamplingParams, type StepResult } from '@ruminate/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../tools/fixtures/standard-fixtures.ts';
import { convertGgufToOnnx } from '../src/convert/index.ts';
import { type TransformersEngine, transformersEngine } from '../src/index.ts';

const FOLDER = join(REPO_ROOT, 'models', 'mul-onnx');
let engine: TransformersEngine;
beforeAll(async () => {
  engine = transformersEngine({ device: 'cpu' });
  await engine.load(FOLDER);
});
afterAll(() => engine.unload());

async function code(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isRuminateError(e)) throw new Error(`expected a RuminateError, got ${String(e)}`);
  return (e as RuminateError).code;
}

/** `n` tokens of one sequence stepped alone. */
async function alone(prompt: number[], n: number, sampling: SamplingParams): Promise<StepResult[]> {
  const seq = await engine.createSequence(prompt);
  const out: StepResult[] = [];
  for (let i = 0; i < n; i++) out.push(...(await engine.step([{ seq, sampling }])));
  await engine.free(seq);
  return out;
}

describe('TransformersEngine on the bundled model', () => {
  it('loads the committed ONNX folder, which is byte for byte what the converter writes from the GGUF', async () => {
    const source = await openFileSource(join(REPO_ROOT, 'models', 'mul-q8_0.gguf'));
    const files = await convertGgufToOnnx(await parseGguf(source), source);
    await source.close();
    for (const [path, bytes] of files) {
      expect(Buffer.compare(await readFile(join(FOLDER, path)), bytes), path).toBe(0);
    }
    const info = await engine.info();
    expect(info).toMatchObject({
      architecture: 'llama',
      vocabSize: 20,
      eosTokenIds: [1],
      hasChatTemplate: true,
      backend: 'wasm',
    });
    expect(info?.parameters).toBeGreaterThan(700_000);
  });

  it('tokenizes and renders the chat template as Ruminate does', async () => {
    expect(await engine.applyChatTemplate([{ role: 'user', content: '68*24' }])).toEqual([
      0, 8, 10, 12, 4, 6, 14,
    ]);
    expect(await engine.tokenize('68*24=', { addBos: true })).toEqual([0, 8, 10, 12, 4, 6, 14]);
    expect(await engine.tokenize('1+2')).toEqual([3, 13, 4]);
    expect(await engine.detokenize([3, 13, 4, 1])).toBe('1+2');
    expect(await engine.detokenize([])).toBe('');
  });

  it('steps a batch of different lengths as each sequence alone: greedy tokens, and the log-probabilities of forced tokens', async () => {
    const prompts = [
      [0, 8, 10, 12, 4, 6, 14],
      [0, 11, 5, 12, 9, 3, 14, 19, 16],
      [0, 3, 12, 4, 14],
    ];
    // Sampled rows draw from a stream keyed by the sequence id, which differs between runs, so
    // the batch replays the lone runs' tokens (forceToken) and compares their log-probabilities.
    const samplings: SamplingParams[] = [
      { temperature: 0 },
      { temperature: 0.8, seed: 11 },
      { temperature: 1, seed: 5, topK: 5 },
    ];
    const want = await Promise.all(prompts.map((p, i) => alone(p, 12, samplings[i] as SamplingParams)));
    const seqs = await Promise.all(prompts.map((p) => engine.createSequence(p)));
    const got: StepResult[][] = seqs.map(() => []);
    for (let t = 0; t < 12; t++) {
      const res = await engine.step(
        seqs.map((seq, i) => ({
          seq,
          sampling: samplings[i] as SamplingParams,
          ...(i > 0 ? { forceToken: want[i]?.[t]?.token as number } : {}),
        })),
      );
      res.forEach((r, i) => {
        got[i]?.push(r);
      });
    }
    got.forEach((rows, i) => {
      expect(rows.map((r) => r.token)).toEqual(want[i]?.map((r) => r.token));
      rows.forEach((r, t) => {
        expect(Math.abs(r.logprob - (want[i]?.[t]?.logprob as number))).toBeLessThan(1e-4);
      });
    });
    expect(new Set(want[1]?.map((r) => r.token)).size).toBeGreaterThan(1);
    for (const s of seqs) await engine.free(s);
  });

  it('forks share the prompt and then differ by seed; truncate and append recompute what they must', async () => {
    const root = await engine.createSequence([0, 8, 10, 12, 4, 6, 14]);
    await engine.step([{ seq: root, sampling: { temperature: 0 } }]);
    const before = (await engine.memory()).pagesUsed;
    const forks = await engine.fork(root, 4);
    expect((await engine.memory()).pagesUsed).toBe(before); // the forks share the root's past
    const texts = new Set<string>();
    for (let t = 0; t < 20; t++) {
      await engine.step(forks.map((seq, i) => ({ seq, sampling: { temperature: 1, seed: 100 + i } })));
    }
    for (const f of forks) texts.add((await engine.tokens(f)).join(','));
    expect(texts.size).toBeGreaterThan(1);
    // Truncating into the cached part and appending: the next token is the one a fresh sequence gets.
    const f0 = forks[0] as number;
    const tokens = await engine.tokens(f0);
    await engine.truncate(f0, 10);
    await engine.append(f0, [3, 4]);
    const [next] = await engine.step([
      { seq: f0, sampling: { temperature: 0 }, want: { topLogprobs: 3, entropy: true } },
    ]);
    const [fresh] = await alone([...tokens.slice(0, 10), 3, 4], 1, { temperature: 0 });
    expect(next?.token).toBe(fresh?.token);
    expect(next?.topLogprobs).toHaveLength(3);
    expect(next?.entropy).toBeGreaterThanOrEqual(0);
    for (const s of [root, ...forks]) await engine.free(s);
    expect((await engine.memory()).sequences).toBe(0);
  });

  it('fails with RuminateError codes', async () => {
    expect(await code(engine.step([{ seq: 999, sampling: { temperature: 0 } }]))).toBe('unknown-sequence');
    expect(await code(engine.createSequence([25]))).toBe('invalid-argument');
    const s = await engine.createSequence([0, 3]);
    expect(await code(engine.step([{ seq: s, sampling: { temperature: -1 } }]))).toBe('invalid-argument');
    expect(
      await code(
        engine.step([
          { seq: s, sampling: { temperature: 0 } },
          { seq: s, sampling: { temperature: 0 } },
        ]),
      ),
    ).toBe('invalid-argument');
    await engine.append(s, Array(94).fill(3));
    expect(await code(engine.step([{ seq: s, sampling: { temperature: 0 } }]))).toBe('context-overflow');
    await engine.free(s);
    const other = transformersEngine({ device: 'cpu' });
    expect(await code(other.createSequence([0]))).toBe('not-loaded');
    expect(await code(other.load(new Blob([])))).toBe('engine-unsupported');
    expect(await code(other.load('someone/some-model'))).toBe('fetch-failed');
    expect(await code(other.load(join(REPO_ROOT, 'models', 'no-such-model')))).toBe('fetch-failed');
    expect(RuminateError).toBeDefined();
  });
});
