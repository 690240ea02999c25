// The step coalescer (continuous batching for concurrent decode loops) against the real engine on
// the WebAssembly backend and a random-weight fixture: concurrent callers' steps are merged into
// one engine step and each gets the tokens it gets alone; a caller that starts while a step runs
// joins the next one; a caller whose request is bad fails alone.
import { isRuminateError } from '@ruminate/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standardFixture } from '../../../tools/fixtures/standard-fixtures.ts';
import { RuminateEngine } from '../src/engine/ruminate-engine.ts';
import { StepCoalescer } from '../src/engine/step-coalescer.ts';
import type { Engine, SamplingParams, StepRequest, StepResult } from '../src/engine/types.ts';

let engine: RuminateEngine;
/** Every batch the real engine was asked to step, as sequence ids. */
const batches: number[][] = [];
/** The engine with its step recorded. */
let recorded: Engine;

beforeAll(async () => {
  engine = new RuminateEngine({ backend: 'wasm', maxSequences: 24 });
  await engine.load(await standardFixture('llama-q4_0'), { contextLength: 128, threads: 1 });
  recorded = Object.assign(Object.create(engine) as Engine, {
    step: (batch: StepRequest[]) => {
      batches.push(batch.map((r) => r.seq));
      return engine.step(batch);
    },
  });
});
afterAll(async () => {
  await engine.unload();
});

const greedy: SamplingParams = { temperature: 0 };
/** Prompts of different lengths (7, 12, 17 and 22 tokens). */
const prompts = Array.from({ length: 4 }, (_, s) =>
  Array.from({ length: 7 + 5 * s }, (_, i) => (3 + 41 * s + 13 * i * i) % 480),
);

/** `n` tokens of a new sequence of `prompt`, stepped one at a time through `e`. */
async function decode(
  e: Engine,
  prompt: number[],
  n: number,
  sampling: SamplingParams,
): Promise<StepResult[]> {
  const seq = await e.createSequence(prompt);
  const out: StepResult[] = [];
  for (let i = 0; i < n; i++) out.push(...(await e.step([{ seq, sampling }])));
  await e.free(seq);
  return out;
}

describe('StepCoalescer over the wasm engine', () => {
  it('merges concurrent callers into one step each token, with the tokens each gets alone', async () => {
    // Greedy: a seeded stream is keyed by the sequence id too, and ids differ between the runs.
    const sampling = greedy;
    const alone = [];
    for (const p of prompts) alone.push(await decode(engine, p, 6, sampling));
    const coalescer = new StepCoalescer(recorded);
    batches.length = 0;
    const together = await Promise.all(prompts.map((p) => decode(coalescer, p, 6, sampling)));
    expect(together.map((r) => r.map((t) => t.token))).toEqual(alone.map((r) => r.map((t) => t.token)));
    for (let i = 0; i < prompts.length; i++) {
      const a = alone[i] as StepResult[];
      (together[i] as StepResult[]).forEach((t, j) => {
        expect(Math.abs(t.logprob - (a[j] as StepResult).logprob)).toBeLessThan(1e-4);
      });
    }
    // 4 callers × 6 tokens = 24 calls served by 6 steps of 4 sequences.
    expect(batches.map((b) => b.length)).toEqual([4, 4, 4, 4, 4, 4]);
    expect(coalescer.stats()).toMatchObject({ steps: 6, calls: 24, maxCallsPerStep: 4, maxBatch: 4 });
  });

  it('lets a caller that starts during a step join the next step', async () => {
    // The first engine step is held open until the second caller has asked for its step, so the
    // test does not depend on how fast a step runs.
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let calls = 0;
    const gated = Object.assign(Object.create(recorded) as Engine, {
      step: async (batch: StepRequest[]) => {
        if (calls++ === 0) {
          batches.push(batch.map((r) => r.seq));
          await held;
          return engine.step(batch);
        }
        return recorded.step(batch);
      },
    });
    const coalescer = new StepCoalescer(gated);
    batches.length = 0;
    const first = await coalescer.createSequence(prompts[0] as number[]);
    const second = await coalescer.createSequence(prompts[1] as number[]);
    const run = async (seq: number, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++)
        out.push(...(await coalescer.step([{ seq, sampling: greedy }])).map((r) => r.token));
      return out;
    };
    const firstRun = run(first, 5);
    // The first caller's first step is running (held); the second caller starts now.
    while (batches.length === 0) await new Promise((r) => setTimeout(r, 0));
    const lateRun = run(second, 3);
    await new Promise((r) => setTimeout(r, 0));
    release();
    const [a, b] = await Promise.all([firstRun, lateRun]);
    await coalescer.free(first);
    await coalescer.free(second);
    expect(batches[0]).toEqual([first]); // the step already running when the second caller came
    // The very next step carries both (in the order their calls arrived: the second caller was waiting).
    expect([...(batches[1] ?? [])].sort()).toEqual([first, second].sort());
    expect(batches.slice(1, 4).every((x) => x.length === 2)).toBe(true);
    // Joining changed nothing for either caller.
    expect(a).toEqual((await decode(engine, prompts[0] as number[], 5, greedy)).map((r) => r.token));
    expect(b).toEqual((await decode(engine, prompts[1] as number[], 3, greedy)).map((r) => r.token));
  });

  it('fails only the caller whose sequence is gone; the others get their tokens', async () => {
    const coalescer = new StepCoalescer(recorded);
    const good = await coalescer.createSequence(prompts[2] as number[]);
    const gone = await coalescer.createSequence(prompts[3] as number[]);
    await coalescer.free(gone);
    const [ok, bad] = await Promise.allSettled([
      coalescer.step([{ seq: good, sampling: greedy }]),
      coalescer.step([{ seq: gone, sampling: greedy }]),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    const reason = (bad as PromiseRejectedResult).reason;
    expect(isRuminateError(reason, 'unknown-sequence') || isRuminateError(reason, 'invalid-argument')).toBe(
      true,
    );
    const alone = await decode(engine, prompts[2] as number[], 1, greedy);
    expect((ok as PromiseFulfilledResult<StepResult[]>).value[0]?.token).toBe(alone[0]?.token);
    await coalescer.free(good);
  });
});
