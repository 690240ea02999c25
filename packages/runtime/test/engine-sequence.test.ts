// The engine's step logic on the float64 CPU model over paged KV: every result is compared with
// the contiguous-KV reference model, so paging, chunked prefill, forks (copy-on-write), prefix
// reuse and rollback must all be exact (same float64 arithmetic → identical logits).
import { isRuminateError } from '@ruminate/errors';
import { freshSeed, seededRandom } from '@ruminate/gpu/testing';
import { describe, expect, it } from 'vitest';
import { SequenceEngine } from '../src/engine/sequence-engine.ts';
import type { StepRequest } from '../src/engine/types.ts';
import { PagedKvCache } from '../src/kv/paged-kv-cache.ts';
import type { ForwardPass, ModelBackend } from '../src/model/backend.ts';
import type { Hparams } from '../src/model/hparams.ts';
import { CpuPagedBackend } from '../src/reference/cpu-backend.ts';
import { argmax, logSoftmax, ReferenceModel, type ReferenceTensor } from '../src/reference/forward.ts';
import { randomWeights, smallHparams } from '../src/reference/random-weights.ts';

const seed = freshSeed();
const hp: Hparams = smallHparams({ nLayers: 2, contextLength: 200 });
const weights = randomWeights(hp, seededRandom(seed));
const lookup = (n: string): ReferenceTensor | undefined => weights.get(n);

/** Counts rows per pass so tests can see what was (not) recomputed. */
class CountingBackend implements ModelBackend {
  rows: number[] = [];
  constructor(private readonly inner: ModelBackend) {}
  forward(pass: ForwardPass) {
    this.rows.push(pass.rows.length);
    return this.inner.forward(pass);
  }
  memory() {
    return this.inner.memory();
  }
  destroy() {}
}

function engine(opts: { numPages?: number; maxPassTokens?: number; retainFreed?: boolean } = {}) {
  const kv = new PagedKvCache({
    numPages: opts.numPages ?? 96,
    pageTokens: 16,
    numSlots: 24,
    contextLength: hp.contextLength,
    retainFreed: opts.retainFreed ?? true,
  });
  const backend = new CountingBackend(
    new CpuPagedBackend(hp, lookup, {
      numPages: kv.numPages,
      pageTokens: 16,
      numSlots: kv.numSlots,
      maxPagesPerSeq: kv.maxPagesPerSeq,
    }),
  );
  const eng = new SequenceEngine({ kv, backend, vocabSize: hp.nVocab, eosTokenIds: [0], ...opts });
  return { eng, backend };
}

const greedy: StepRequest['sampling'] = { temperature: 0 };
const prompt = (n: number, salt: number) =>
  Array.from({ length: n }, (_, i) => (i * 7 + salt * 13 + 1) % hp.nVocab);

/** Reference greedy continuation and per-step log-probabilities. */
function reference(tokens: number[], n: number) {
  const m = new ReferenceModel(hp, lookup);
  let logits = m.eval(tokens).at(-1)!;
  const out: { token: number; logprobs: Float64Array }[] = [];
  for (let i = 0; i < n; i++) {
    const token = argmax(logits);
    out.push({ token, logprobs: logSoftmax(logits) });
    logits = m.eval([token])[0]!;
  }
  return out;
}

describe(`SequenceEngine on the CPU paged model (seed ${seed})`, () => {
  it('batches mixed-length sequences with chunked prefill and matches the reference exactly', async () => {
    const { eng, backend } = engine({ maxPassTokens: 24 });
    const prompts = [prompt(1, 1), prompt(40, 2), prompt(17, 3), prompt(5, 4), prompt(33, 5)];
    const seqs = prompts.map((p) => eng.createSequence(p));
    const steps = 6;
    const got: number[][] = seqs.map(() => []);
    for (let s = 0; s < steps; s++) {
      const res = await eng.step(
        seqs.map((seq) => ({ seq, sampling: greedy, want: { topLogprobs: 3, entropy: true } })),
      );
      res.forEach((r, i) => {
        got[i]!.push(r.token);
        const ref = reference(prompts[i]!, s + 1)[s]!;
        expect(r.token).toBe(ref.token);
        expect(r.logprob).toBeCloseTo(ref.logprobs[r.token]!, 10);
        expect(r.topLogprobs![0]!.token).toBe(ref.token);
        expect(r.entropy).toBeGreaterThanOrEqual(0);
      });
    }
    // The first step's 96 prompt tokens were split into passes of ≤ 24 rows; later steps are one pass of 5 rows.
    expect(Math.max(...backend.rows)).toBeLessThanOrEqual(24);
    expect(backend.rows.slice(-5)).toEqual([5, 5, 5, 5, 5]);
    for (const [i, p] of prompts.entries()) expect(eng.tokens(seqs[i]!)).toEqual([...p, ...got[i]!]);
  });

  it('forks share the prompt pages, diverge by forced tokens, and each matches its own reference', async () => {
    const { eng } = engine();
    const p = prompt(37, 9);
    const seq = eng.createSequence(p);
    await eng.step([{ seq, sampling: greedy }]); // prefill: 37 prompt tokens → 3 pages
    const forks = eng.fork(seq, 7);
    expect(eng.memory().pagesUsed).toBe(3); // 8 sequences, prompt stored once
    const all = [seq, ...forks];
    const forced = all.map((_, i) => 10 + i);
    const res = await eng.step(all.map((s, i) => ({ seq: s, sampling: greedy, forceToken: forced[i] })));
    // The forced token is this step's output; the next step computes it.
    const res2 = await eng.step(all.map((s) => ({ seq: s, sampling: greedy })));
    all.forEach((s, i) => {
      expect(res[i]!.token).toBe(forced[i]);
      const first = eng.tokens(s)[37]!;
      expect(eng.tokens(s)).toEqual([...p, first, forced[i], res2[i]!.token]);
      const ref = reference([...p, first, forced[i]!], 1)[0]!;
      expect(res2[i]!.token).toBe(ref.token);
    });
    // Two full pages shared by all; each sequence has its own copy of the third.
    expect(eng.memory().pagesUsed).toBe(2 + 8);
    for (const s of all) eng.free(s);
    expect(eng.memory().pagesUsed).toBe(0);
  });

  it('prefills only the new tokens of a prompt that extends a cached sequence (next chat turn)', async () => {
    const { eng, backend } = engine();
    const turn1 = prompt(50, 11);
    const a = eng.createSequence(turn1);
    for (let i = 0; i < 3; i++) await eng.step([{ seq: a, sampling: greedy }]);
    const history = eng.tokens(a);
    eng.free(a); // retained for reuse
    const turn2 = [...history, 5, 6, 7];
    const b = eng.createSequence(turn2);
    backend.rows = [];
    const [r] = await eng.step([{ seq: b, sampling: greedy }]);
    // history[0..51] was computed for `a` (the last sampled token was not): 52 + … reused.
    expect(backend.rows).toEqual([turn2.length - 52]);
    expect(r!.token).toBe(reference(turn2, 1)[0]!.token);
  });

  it('rolls back with truncate and recomputes from there', async () => {
    const { eng } = engine();
    const p = prompt(20, 3);
    const seq = eng.createSequence(p);
    for (let i = 0; i < 4; i++) await eng.step([{ seq, sampling: greedy }]);
    eng.truncate(seq, 21);
    const [r] = await eng.step([{ seq, sampling: greedy, forceToken: 42 }]);
    const [r2] = await eng.step([{ seq, sampling: greedy }]);
    expect(r!.token).toBe(42);
    expect(r2!.token).toBe(reference([...eng.tokens(seq).slice(0, 22)], 1)[0]!.token);
  });

  it('samples with temperature reproducibly per (seed, sequence, position), independent of the batch', async () => {
    const a = engine();
    const b = engine();
    const p = prompt(9, 1);
    const params = { temperature: 1.5, topK: 20, seed: 77 };
    const sa = a.eng.createSequence(p);
    const sb = b.eng.createSequence(p);
    const other = b.eng.createSequence(prompt(30, 2));
    expect(sb).toBe(sa + 0); // same id → same stream
    const ta: number[] = [];
    const tb: number[] = [];
    for (let i = 0; i < 5; i++) {
      ta.push((await a.eng.step([{ seq: sa, sampling: params }]))[0]!.token);
      tb.push(
        (
          await b.eng.step([
            { seq: other, sampling: params },
            { seq: sb, sampling: params },
          ])
        )[1]!.token,
      );
    }
    expect(tb).toEqual(ta);
  });

  it('gives typed errors: unknown sequence, context overflow, duplicates, bad tokens; abort stops between passes', async () => {
    const { eng } = engine({ maxPassTokens: 8 });
    const code = async (f: () => unknown) => {
      try {
        await f();
      } catch (e) {
        return isRuminateError(e) ? e.code : String(e);
      }
      return 'no error';
    };
    expect(await code(() => eng.step([{ seq: 999, sampling: greedy }]))).toBe('unknown-sequence');
    const full = eng.createSequence(prompt(200, 1));
    expect(await code(() => eng.step([{ seq: full, sampling: greedy }]))).toBe('context-overflow');
    const s = eng.createSequence(prompt(60, 2));
    expect(
      await code(() =>
        eng.step([
          { seq: s, sampling: greedy },
          { seq: s, sampling: greedy },
        ]),
      ),
    ).toBe('invalid-argument');
    expect(await code(() => eng.createSequence([hp.nVocab]))).toBe('invalid-argument');
    const pending = eng.step([{ seq: s, sampling: greedy }]);
    eng.abort();
    expect(await code(() => pending)).toBe('aborted');
    // The aborted step kept what it computed; the next step finishes the prompt and matches the reference.
    expect(eng.tokens(s)).toHaveLength(60);
    const [r] = await eng.step([{ seq: s, sampling: greedy }]);
    expect(r!.token).toBe(reference(prompt(60, 2), 1)[0]!.token);
  });

  it('a sequence whose last token was computed by a pass before an abort gets its own token when the step is retried', async () => {
    // Two passes of 16 rows: the first computes all of `short` (and samples it, a result the abort
    // then drops), the second would finish `long`. The retried step must compute `short`'s last
    // token again rather than sample another sequence's row.
    const { eng, backend } = engine({ maxPassTokens: 16 });
    const short = eng.createSequence(prompt(6, 7));
    const long = eng.createSequence(prompt(20, 8));
    const pending = eng.step([
      { seq: short, sampling: greedy },
      { seq: long, sampling: greedy },
    ]);
    eng.abort();
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
    expect(backend.rows).toEqual([16]);
    const [a, b] = await eng.step([
      { seq: short, sampling: greedy },
      { seq: long, sampling: greedy },
    ]);
    expect(a!.token).toBe(reference(prompt(6, 7), 1)[0]!.token);
    expect(b!.token).toBe(reference(prompt(20, 8), 1)[0]!.token);
  });
});
