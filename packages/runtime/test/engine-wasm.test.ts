// The WebAssembly (CPU) backend through the public engine: RuminateEngine with
// `{ backend: 'wasm' }` on a standard fixture — loading by path, tokenizing, sequences, greedy and
// seeded temperature steps, forks with copy-on-write pages, prefix reuse, truncation, batch
// parity (16 sequences in one step give the tokens each gives alone), an abort in the middle of
// a batched step, the memory report, unload, a pool thread that dies, and `backend: 'auto'`
// choosing wasm where WebGPU is missing or computes on the CPU. Numerical parity with the float64
// reference is model-wasm.test.ts; with llama.cpp, parity-wasm.parity.test.ts.
import { isRuminateError, RuminateError } from '@ruminate/gpu';
import { faultInjectionOp, Program, type ThreadPool } from '@ruminate/wasm';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { standardFixture } from '../../../tools/fixtures/standard-fixtures.ts';
import type { SamplingParams, StepResult } from '../src/engine/types.ts';

// `backend: 'auto'` asks requestDevice for WebGPU; tests swap in a failure or a CPU adapter.
const gpuStub = vi.hoisted(() => ({ requestDevice: undefined as undefined | (() => Promise<unknown>) }));
vi.mock('@ruminate/gpu', async (importOriginal) => {
  const gpu = await importOriginal<typeof import('@ruminate/gpu')>();
  return {
    ...gpu,
    requestDevice: (...args: Parameters<typeof gpu.requestDevice>) =>
      gpuStub.requestDevice ? gpuStub.requestDevice() : gpu.requestDevice(...args),
  };
});

const { RuminateEngine } = await import('../src/engine/ruminate-engine.ts');
type Engine = InstanceType<typeof RuminateEngine>;

const FIXTURE = 'llama-q4_0' as const;
let path = '';
beforeAll(async () => {
  path = await standardFixture(FIXTURE);
});

const engines: Engine[] = [];
afterEach(async () => {
  gpuStub.requestDevice = undefined;
  vi.unstubAllGlobals();
  for (const e of engines.splice(0)) await e.unload();
});

async function loaded(
  opts: { threads?: number; maxPassTokens?: number; maxSequences?: number } = {},
): Promise<Engine> {
  const engine = new RuminateEngine({
    backend: 'wasm',
    maxSequences: opts.maxSequences ?? 24,
    ...(opts.maxPassTokens ? { maxPassTokens: opts.maxPassTokens } : {}),
  });
  engines.push(engine);
  await engine.load(path, { contextLength: 128, threads: opts.threads ?? 2 });
  return engine;
}

/** The engine's thread pool (private fields: the test reaches the documented fault-injection op through it). */
function poolOf(engine: Engine): ThreadPool {
  const current = (engine as unknown as { current?: { model: { pool: ThreadPool } } }).current;
  if (!current) throw new Error('no model loaded');
  return current.model.pool;
}

/** `n` tokens of one sequence, stepped alone. */
async function run(engine: Engine, prompt: number[], n: number, sampling: SamplingParams) {
  const seq = await engine.createSequence(prompt);
  const out: StepResult[] = [];
  for (let i = 0; i < n; i++) out.push(...(await engine.step([{ seq, sampling }])));
  await engine.free(seq);
  return out;
}

const greedy: SamplingParams = { temperature: 0 };
/** 16 different prompts of 5–20 tokens. */
const prompts = Array.from({ length: 16 }, (_, s) =>
  Array.from({ length: 5 + s }, (_, i) => (1 + 37 * s + 11 * i * i) % 500),
);

async function expectCode(p: Promise<unknown>, code: string): Promise<RuminateError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, `rejects with ${code}`).toBeInstanceOf(RuminateError);
  expect((e as RuminateError).code).toBe(code);
  return e as RuminateError;
}

describe('RuminateEngine on the WebAssembly backend', () => {
  it('loads a fixture by path, reports the backend, tokenizes, and steps greedily', async () => {
    const engine = await loaded();
    const info = await engine.info();
    expect(info?.backend).toBe('wasm');
    expect(info?.threads?.count).toBe(2);
    expect(info?.contextLength).toBe(128);
    const ids = await engine.tokenize('hello world', { addBos: false });
    expect(ids.length).toBeGreaterThan(0);
    expect(await engine.detokenize(ids)).toBe('hello world');
    const a = await run(engine, [1, ...ids], 8, greedy);
    const b = await run(engine, [1, ...ids], 8, greedy);
    expect(a.map((r) => r.token)).toEqual(b.map((r) => r.token));
    for (const r of a) {
      expect(Number.isInteger(r.token) && r.token >= 0 && r.token < (info?.vocabSize ?? 0)).toBe(true);
      expect(r.logprob).toBeLessThanOrEqual(0);
    }
  });

  it('temperature sampling with a seed is reproducible across runs and across 1 and 2 threads', async () => {
    const sampling: SamplingParams = { temperature: 1.5, seed: 1234, topK: 40 };
    const results: StepResult[][] = [];
    for (const threads of [1, 2, 2]) {
      const engine = await loaded({ threads });
      expect((await engine.info())?.threads?.count).toBe(threads);
      results.push(await run(engine, prompts[3]!, 24, sampling));
      results.push(await run(engine, prompts[3]!, 24, greedy));
      await engine.unload();
    }
    const [s1, g1, s2, g2, s3, g3] = results;
    // The kernels split output rows between threads, so every sum is the same on 1 and 2 threads:
    // tokens and log-probabilities are bit-identical.
    expect(s2).toEqual(s1);
    expect(s3).toEqual(s1);
    expect(g2).toEqual(g1);
    expect(g3).toEqual(g1);
    // A temperature of 1.5 on this fixture does leave the greedy path.
    expect(s1!.map((r) => r.token)).not.toEqual(g1!.map((r) => r.token));
    // Another seed, another sample.
    const engine = await loaded();
    const other = await run(engine, prompts[3]!, 24, { ...sampling, seed: 99 });
    expect(other.map((r) => r.token)).not.toEqual(s1!.map((r) => r.token));
  });

  it('the same seed and stream draw the same tokens in a later sequence; by default each sequence is its own stream', async () => {
    const engine = await loaded();
    const sampling: SamplingParams = { temperature: 1.5, seed: 77, topK: 40 };
    const first = await run(engine, prompts[5]!, 16, { ...sampling, stream: 3 });
    const again = await run(engine, prompts[5]!, 16, { ...sampling, stream: 3 }); // a new sequence id
    expect(again.map((r) => r.token)).toEqual(first.map((r) => r.token));
    const otherStream = await run(engine, prompts[5]!, 16, { ...sampling, stream: 4 });
    expect(otherStream.map((r) => r.token)).not.toEqual(first.map((r) => r.token));
    const byDefault = [
      await run(engine, prompts[5]!, 16, sampling),
      await run(engine, prompts[5]!, 16, sampling),
    ];
    expect(byDefault[1]!.map((r) => r.token)).not.toEqual(byDefault[0]!.map((r) => r.token));
  });

  it('16 sequences in one step give the tokens (and log-probabilities) each gives alone', async () => {
    const engine = await loaded({ maxPassTokens: 64 });
    const alone: number[][] = [];
    const aloneLp: number[][] = [];
    for (const p of prompts) {
      const r = await run(engine, p, 6, greedy);
      alone.push(r.map((t) => t.token));
      aloneLp.push(r.map((t) => t.logprob));
    }
    const seqs = await Promise.all(prompts.map((p) => engine.createSequence(p)));
    const batched: number[][] = seqs.map(() => []);
    let worst = 0;
    for (let i = 0; i < 6; i++) {
      const out = await engine.step(seqs.map((seq) => ({ seq, sampling: greedy })));
      out.forEach((r, s) => {
        batched[s]!.push(r.token);
        worst = Math.max(worst, Math.abs(r.logprob - aloneLp[s]![i]!));
      });
    }
    expect(batched).toEqual(alone);
    // Rows of a batch go through the same kernels with the same per-row sums.
    expect(worst).toBeLessThan(1e-4);
    for (const seq of seqs) await engine.free(seq);
  });

  it('fork shares pages and copies on write; the forks continue as the original would', async () => {
    const engine = await loaded();
    const prompt = prompts[10]!; // 15 tokens: the fork point is inside a shared, partly filled page
    const solo = (await run(engine, prompt, 12, greedy)).map((r) => r.token);
    const seq = await engine.createSequence(prompt);
    for (let i = 0; i < 4; i++) await engine.step([{ seq, sampling: greedy }]);
    const before = await engine.memory();
    const forks = await engine.fork(seq, 3);
    const shared = await engine.memory();
    expect(shared.pagesUsed, 'a fork copies no page').toBe(before.pagesUsed);
    expect(shared.sequences).toBe(before.sequences + 3);
    const all = [seq, ...forks];
    for (let i = 4; i < 12; i++) {
      const out = await engine.step(all.map((s) => ({ seq: s, sampling: greedy })));
      for (const r of out) expect(r.token, `step ${i} seq ${r.seq}`).toBe(solo[i]);
    }
    const after = await engine.memory();
    expect(after.pagesUsed, 'each fork copied the page it wrote into').toBeGreaterThan(before.pagesUsed);
    for (const s of all) expect(await engine.tokens(s)).toEqual([...prompt, ...solo]);
    // Seeded sampling on forks: distinct streams per sequence, each reproducible.
    const sampled = await engine.fork(seq, 2);
    const t = await engine.step(sampled.map((s) => ({ seq: s, sampling: { temperature: 1, seed: 5 } })));
    expect(t).toHaveLength(2);
    for (const s of [...all, ...sampled]) await engine.free(s);
  });

  it('reuses a cached prompt prefix and truncates back to an earlier state', async () => {
    const engine = await loaded();
    const prompt = [...prompts[15]!, ...prompts[14]!]; // 39 tokens: two full pages and a part
    const first = (await run(engine, prompt, 5, greedy)).map((r) => r.token);
    const cold = await engine.memory();
    expect(cold.pagesCached ?? 0, 'freed pages stay cached').toBeGreaterThan(0);
    // Same prompt again: the cached pages are shared, the tokens are the same.
    const again = await engine.createSequence(prompt);
    const reused = await engine.memory();
    expect(reused.pagesUsed).toBeGreaterThanOrEqual(2);
    const out: number[] = [];
    for (let i = 0; i < 5; i++) out.push((await engine.step([{ seq: again, sampling: greedy }]))[0]!.token);
    expect(out).toEqual(first);
    // Truncate to the prompt plus two tokens and step again: the same third token.
    await engine.truncate(again, prompt.length + 2);
    expect(await engine.tokens(again)).toEqual([...prompt, ...first.slice(0, 2)]);
    const [r] = await engine.step([{ seq: again, sampling: greedy }]);
    expect(r!.token).toBe(first[2]);
    // Truncate into the prompt and append a different continuation: computed from there.
    await engine.truncate(again, 20);
    await engine.append(again, prompt.slice(20));
    const [r2] = await engine.step([{ seq: again, sampling: greedy }]);
    expect(r2!.token).toBe(first[0]);
    await engine.free(again);
  });

  /** A batched step of the 16 prompts in 16-row passes (13 passes), aborted while its first pass runs. */
  async function abortedBatch() {
    // (Tokens alone on another engine: freed sequences' pages stay cached, and a cached prompt needs no prefill.)
    const solo = await loaded();
    const alone: number[] = [];
    for (const p of prompts) alone.push((await run(solo, p, 1, greedy))[0]!.token);
    await solo.unload();
    const engine = await loaded({ maxPassTokens: 16 });
    const passes = () =>
      (engine as unknown as { current: { engine: { passes: number } } }).current.engine.passes;
    const seqs = await Promise.all(prompts.map((p) => engine.createSequence(p)));
    const start = passes();
    const stepping = engine.step(seqs.map((seq) => ({ seq, sampling: greedy })));
    await engine.abort(); // lands while the first pass runs: it stops at its next op boundary
    await expectCode(stepping, 'aborted');
    expect(passes() - start, 'passes completed before the abort landed').toBe(0);
    // Nothing was appended: every sequence still holds its prompt.
    for (const [i, seq] of seqs.entries()) expect(await engine.tokens(seq)).toEqual(prompts[i]);
    const retried = await engine.step(seqs.map((seq) => ({ seq, sampling: greedy })));
    return { engine, seqs, alone, retried: retried.map((r) => r.token) };
  }

  it('an abort in the middle of a batched step rejects with aborted and leaves the engine usable', async () => {
    const { engine, seqs, alone, retried } = await abortedBatch();
    // The first pass stopped part-way through its ops: its K/V writes are overwritten when the
    // retried step computes the same positions, so every sequence continues exactly.
    expect(retried).toEqual(alone);
    for (const seq of seqs) await engine.free(seq);
    // New sequences on the same engine: the same tokens as alone.
    const again = await Promise.all(prompts.map((p) => engine.createSequence(p)));
    const out = await engine.step(again.map((seq) => ({ seq, sampling: greedy })));
    expect(out.map((r) => r.token)).toEqual(alone);
  });

  // A pass that completes before the abort commits its sequences' last prompt token while their
  // sampled token is dropped; the retried step must compute that last token again (it once
  // sampled another sequence's row instead: SequenceEngine.runStep now recomputes at least one).
  it('the retried step gives the sequences sampled in the aborted pass their own tokens', async () => {
    const { engine, seqs, alone, retried } = await abortedBatch();
    expect(retried).toEqual(alone);
    for (const seq of seqs) await engine.free(seq);
  });

  it('reports memory, and unload destroys the thread pool', async () => {
    const engine = await loaded();
    const empty = await engine.memory();
    expect(empty.weightBytes).toBeGreaterThan(0);
    expect(empty.kvBytes).toBeGreaterThan(0);
    expect(empty.bytesPerPage).toBeGreaterThan(0);
    expect(empty.pageTokens).toBe(16);
    expect(empty.scratchBytes).toBeGreaterThan(0);
    expect(empty.sequences).toBe(0);
    expect(empty.pagesUsed).toBe(0);
    const seq = await engine.createSequence(prompts[15]!); // 20 tokens: 2 pages
    await engine.step([{ seq, sampling: greedy }]);
    const used = await engine.memory();
    expect(used.sequences).toBe(1);
    expect(used.pagesUsed).toBe(2);
    expect(used.pagesUsed + used.pagesFree).toBe(empty.pagesFree);
    // KV bytes cover every page: (pages in the pool) × bytes per page.
    expect(used.kvBytes).toBe(empty.pagesFree * empty.bytesPerPage);

    const pool = poolOf(engine);
    expect(pool.info.threads).toBe(2);
    await engine.unload();
    await expectCode(pool.run(Program.from([])), 'not-loaded');
    await expectCode(engine.step([{ seq, sampling: greedy }]), 'not-loaded');
    expect(await engine.info()).toBeUndefined();
  });

  it('a pool thread that dies makes step() reject with worker-failed; a later load works', async () => {
    const engine = await loaded({ threads: 2 });
    const seq = await engine.createSequence(prompts[4]!);
    const before = (await run(engine, prompts[4]!, 3, greedy)).map((r) => r.token);
    // The next pass runs the pool's fault-injection op instead of its kernels: thread 1 dies mid-step.
    const pool = poolOf(engine);
    const realRun = pool.run.bind(pool);
    // (On the pool's threads: a pass the model would run inline has no thread 1 to kill.)
    pool.run = (_program, options) =>
      realRun(Program.from([faultInjectionOp(1)]), { ...options, inline: false });
    const err = await expectCode(engine.step([{ seq, sampling: greedy }]), 'worker-failed');
    expect(err.message).toMatch(/thread/);
    pool.run = realRun;
    // The model stays unusable (its pool lost a thread) and says so, with the same code.
    expect(pool.failed?.code).toBe('worker-failed');
    await expectCode(engine.step([{ seq, sampling: greedy }]), 'worker-failed');
    // Loading again gives a working engine with a fresh pool.
    await engine.load(path, { contextLength: 128, threads: 2 });
    expect(poolOf(engine)).not.toBe(pool);
    expect((await run(engine, prompts[4]!, 3, greedy)).map((r) => r.token)).toEqual(before);
  });

  it('a single-threaded model whose inline run faults also rejects with worker-failed', async () => {
    const engine = await loaded({ threads: 1 });
    const seq = await engine.createSequence(prompts[2]!);
    const pool = poolOf(engine);
    const realRun = pool.run.bind(pool);
    pool.run = (_program, options) => realRun(Program.from([faultInjectionOp(0)]), options);
    await expectCode(engine.step([{ seq, sampling: greedy }]), 'worker-failed');
    pool.run = realRun;
    await expectCode(engine.step([{ seq, sampling: greedy }]), 'worker-failed');
  });
});

describe("backend 'auto' in Node", () => {
  /** What requestDevice returns on SwiftShader, as far as the engine reads it before choosing. */
  const cpuAdapter = async () => ({
    device: { lost: new Promise(() => {}), limits: {}, features: new Set() },
    adapter: {},
    info: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader Device' },
    limits: {},
    features: [],
  });

  for (const [what, requestDevice] of [
    [
      'WebGPU is missing',
      async () => {
        throw new RuminateError('webgpu-unavailable', 'navigator.gpu is missing (test)');
      },
    ],
    [
      'no adapter is found',
      async () => {
        throw new RuminateError('adapter-unavailable', 'no adapter (test)');
      },
    ],
    ['the adapter computes on the CPU (SwiftShader)', cpuAdapter],
  ] as const) {
    it(`picks wasm when ${what}`, async () => {
      gpuStub.requestDevice = requestDevice;
      const engine = new RuminateEngine({ tuning: 'off', maxSequences: 4 });
      engines.push(engine);
      const info = await engine.load(path, { contextLength: 64, threads: 1 });
      expect(info.backend).toBe('wasm');
      const seq = await engine.createSequence([1, 2, 3]);
      const [r] = await engine.step([{ seq, sampling: greedy }]);
      expect(r!.token).toBeGreaterThanOrEqual(0);
    });
  }

  it('with navigator.gpu present but no adapter (a browser without a usable GPU), picks wasm', async () => {
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => null } });
    const engine = new RuminateEngine({ tuning: 'off', maxSequences: 4 });
    engines.push(engine);
    expect((await engine.load(path, { contextLength: 64, threads: 1 })).backend).toBe('wasm');
  });

  it('does not hide other device errors', async () => {
    gpuStub.requestDevice = async () => {
      throw new RuminateError('limit-too-low', 'too small (test)');
    };
    const engine = new RuminateEngine({ tuning: 'off' });
    const e = await engine.load(path, { contextLength: 64 }).catch((err: unknown) => err);
    expect(isRuminateError(e, 'limit-too-low')).toBe(true);
  });
});
