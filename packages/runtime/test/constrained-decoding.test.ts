// Constrained decoding through the public engine on the WebAssembly backend: a random-weight
// fixture (byte-level vocabulary, so its free output is noise) must still produce, for every
// seeded sample, output that parses and validates with an independent validator (ajv) under
// five JSON Schemas, and matches a GBNF grammar and a regex, within a modest token limit.
// Also: forks inherit the grammar state, truncation follows it back, a forced token the grammar
// rejects and an appended one are refused, log-probabilities are renormalised over the allowed
// set, dead ends end the sequence with `grammarDeadEnd`, and bad schemas / grammars are typed
// errors. The same masks on WebGPU are constrained-decoding.gpu.test.ts.
import { isRuminateError, type RuminateError } from '@ruminate/errors';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standardFixture } from '../../../tools/fixtures/standard-fixtures.ts';
import { ConstraintCompiler } from '../src/constraint/constraint-compiler.ts';
import { RuminateEngine } from '../src/engine/ruminate-engine.ts';
import type { Constraint, SamplingParams, SeqId } from '../src/engine/types.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import { openFileSource } from '../src/loading/file-source.ts';
import { Tokenizer } from '../src/tokenizer/tokenizer.ts';

const SAMPLES = 200;
const MAX_TOKENS = 128;
const BATCH = 25;

/** Five schemas, one per family the issue names; every string is bounded so noise must end. */
const SCHEMAS: Record<string, Record<string, unknown>> = {
  nested: {
    type: 'object',
    properties: {
      user: {
        type: 'object',
        properties: {
          id: { type: 'integer', minimum: 0, maximum: 999 },
          name: { type: 'string', maxLength: 8 },
        },
        required: ['id', 'name'],
      },
      active: { type: 'boolean' },
    },
    required: ['user', 'active'],
  },
  arrays: {
    type: 'object',
    properties: {
      xs: { type: 'array', items: { type: 'integer', minimum: -50, maximum: 50 }, minItems: 2, maxItems: 4 },
    },
    required: ['xs'],
  },
  enums: {
    type: 'object',
    properties: {
      color: { enum: ['red', 'green', 'blue'] },
      size: { enum: ['S', 'M', 'L', 'XL'] },
      n: { const: 3 },
    },
    required: ['color', 'size', 'n'],
  },
  ranges: {
    type: 'object',
    properties: {
      t: { type: 'integer', minimum: -40, maximum: 125 },
      p: { type: 'integer', exclusiveMinimum: 0, maximum: 100 },
      ok: { type: 'boolean' },
    },
    required: ['t', 'p', 'ok'],
  },
  anyOf: {
    type: 'object',
    properties: {
      v: {
        anyOf: [
          { type: 'integer', minimum: 0, maximum: 9 },
          { type: 'string', maxLength: 4 },
          { type: 'null' },
        ],
      },
    },
    required: ['v'],
  },
};

let engine: RuminateEngine;
beforeAll(async () => {
  engine = new RuminateEngine({ backend: 'wasm', maxSequences: 40 });
  await engine.load(await standardFixture('llama-q4_0'), { contextLength: 256, threads: 1 });
});
afterAll(async () => engine.unload());

/** Samples `count` seeded completions of `prompt` under `constraint`, `BATCH` sequences per step. */
async function sample(constraint: Constraint, count: number, sampling: Partial<SamplingParams> = {}) {
  const prompt = await engine.tokenize('Answer:', {});
  const out: { text: string; finished: boolean; deadEnd: boolean }[] = [];
  for (let first = 0; first < count; first += BATCH) {
    const n = Math.min(BATCH, count - first);
    const seqs: SeqId[] = [];
    for (let i = 0; i < n; i++) {
      const seq = await engine.createSequence(prompt);
      await engine.constrain(seq, constraint);
      seqs.push(seq);
    }
    const tokens = seqs.map(() => [] as number[]);
    const done = seqs.map(() => false);
    const dead = seqs.map(() => false);
    for (let step = 0; step < MAX_TOKENS && done.includes(false); step++) {
      const live = seqs.map((seq, i) => ({ seq, i })).filter(({ i }) => !done[i]);
      const results = await engine.step(
        live.map(({ seq, i }) => ({ seq, sampling: { temperature: 1, seed: first + i, ...sampling } })),
      );
      results.forEach((r, k) => {
        const i = (live[k] as { i: number }).i;
        if (r.eos) {
          done[i] = true;
          dead[i] = r.grammarDeadEnd === true;
        } else tokens[i]?.push(r.token);
      });
    }
    for (let i = 0; i < n; i++) {
      out.push({
        text: await engine.detokenize(tokens[i] as number[]),
        finished: done[i] as boolean,
        deadEnd: dead[i] as boolean,
      });
      await engine.free(seqs[i] as SeqId);
    }
  }
  return out;
}

describe('constrained decoding (wasm backend)', () => {
  const ajv = new Ajv({ strict: true });
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    it(`every one of ${SAMPLES} samples under the "${name}" schema finishes, parses and validates`, async () => {
      const validate = ajv.compile(schema);
      // A high temperature makes the fixture's peaked distributions noisy.
      const samples = await sample({ kind: 'json_schema', schema }, SAMPLES, { temperature: 3 });
      const bad = samples.filter((s) => {
        if (!s.finished || s.deadEnd) return true;
        try {
          return !validate(JSON.parse(s.text));
        } catch {
          return true;
        }
      });
      expect(bad.map((s) => s.text)).toEqual([]);
      // Noise under a grammar is still noise: the samples are not all the same.
      expect(new Set(samples.map((s) => s.text)).size).toBeGreaterThan(2);
    });
  }

  it('a GBNF grammar and a regex hold for every sample', async () => {
    const gbnf = 'root ::= "(" num ("+" num)* ")"\nnum ::= [1-9] [0-9]? [0-9]?';
    const sums = await sample({ kind: 'grammar', grammar: gbnf }, SAMPLES);
    for (const s of sums) expect(s.text).toMatch(/^\([1-9][0-9]{0,2}(\+[1-9][0-9]{0,2})*\)$/);
    const codes = await sample({ kind: 'regex', pattern: '[A-Z][a-z]{2,5}-[0-9]{2}' }, SAMPLES);
    for (const s of codes) expect(s.text).toMatch(/^[A-Z][a-z]{2,5}-[0-9]{2}$/);
  });

  it('JSON mode gives a JSON object every time', async () => {
    for (const s of await sample({ kind: 'json_object' }, 40)) {
      expect(s.finished).toBe(true);
      // Unbounded noise may not close within the limit; what closed must parse as an object.
      const v = JSON.parse(s.text);
      expect(typeof v === 'object' && v !== null && !Array.isArray(v)).toBe(true);
    }
  });

  it('log-probabilities are renormalised over the allowed tokens; greedy takes the best allowed token', async () => {
    const prompt = await engine.tokenize('Answer:', {});
    const free = await engine.createSequence(prompt);
    const constrained = await engine.createSequence(prompt);
    await engine.constrain(constrained, { kind: 'grammar', grammar: 'root ::= [0-9] [0-9]' });
    const want = { topLogprobs: 20, entropy: true };
    const [f, c] = await engine.step([
      { seq: free, sampling: { temperature: 0 }, want },
      { seq: constrained, sampling: { temperature: 0 }, want },
    ]);
    const digits = new Set(Array.from({ length: 10 }, (_, d) => 48 + d)); // byte-level ids of '0'..'9'
    // The allowed set is exactly the ten digits; their probabilities sum to 1.
    expect(new Set(c?.topLogprobs?.map((t) => t.token))).toEqual(digits);
    const mass = (c?.topLogprobs ?? []).reduce((a, t) => a + Math.exp(t.logprob), 0);
    expect(Math.abs(mass - 1)).toBeLessThan(1e-5);
    // Renormalised: each allowed token's log-probability is its free one minus log(free mass of the digits).
    const freeLp = new Map((f?.topLogprobs ?? []).map((t) => [t.token, t.logprob]));
    const best = [...(c?.topLogprobs ?? [])].sort((a, b) => b.logprob - a.logprob)[0];
    expect(c?.token).toBe(best?.token);
    expect(c?.logprob).toBeCloseTo(best?.logprob ?? 0, 6);
    expect(c?.entropy).toBeLessThanOrEqual(Math.log(10) + 1e-6);
    for (const t of c?.topLogprobs ?? []) {
      const lf = freeLp.get(t.token);
      if (lf !== undefined) expect(t.logprob).toBeGreaterThanOrEqual(lf);
    }
    await engine.free(free);
    await engine.free(constrained);
  });

  it('forks inherit the grammar state and stay valid; truncation follows the grammar back', async () => {
    const schema = SCHEMAS.enums as Record<string, unknown>;
    const validate = ajv.compile(schema);
    const prompt = await engine.tokenize('Answer:', {});
    const seq = await engine.createSequence(prompt);
    await engine.constrain(seq, { kind: 'json_schema', schema });
    for (let i = 0; i < 6; i++) await engine.step([{ seq, sampling: { temperature: 1, seed: 7 } }]);
    const forks = await engine.fork(seq, 8);
    const outs = await Promise.all(forks.map(async (f) => (await engine.tokens(f)).slice(prompt.length)));
    const live = new Set(forks);
    for (let i = 0; i < MAX_TOKENS && live.size > 0; i++) {
      const batch = forks.filter((f) => live.has(f));
      const results = await engine.step(
        batch.map((f, k) => ({ seq: f, sampling: { temperature: 3, seed: 100 + k } })),
      );
      results.forEach((r, k) => {
        if (r.eos) live.delete(batch[k] as SeqId);
        else outs[forks.indexOf(batch[k] as SeqId)]?.push(r.token);
      });
    }
    expect(live.size).toBe(0);
    const texts = await Promise.all(outs.map((o) => engine.detokenize(o)));
    for (const t of texts) expect(validate(JSON.parse(t)), t).toBe(true);
    // Back to the prompt plus one token, then on again: still valid.
    await engine.truncate(seq, prompt.length + 1);
    const out = (await engine.tokens(seq)).slice(prompt.length);
    for (let i = 0; i < MAX_TOKENS; i++) {
      const [r] = await engine.step([{ seq, sampling: { temperature: 1, seed: 3 } }]);
      if (r?.eos) break;
      out.push(r?.token as number);
    }
    expect(validate(JSON.parse(await engine.detokenize(out)))).toBe(true);
  });

  it('refuses a forced or appended token the grammar rejects, and keeps the sequence usable', async () => {
    const prompt = await engine.tokenize('Answer:', {});
    const seq = await engine.createSequence(prompt);
    await engine.constrain(seq, { kind: 'grammar', grammar: 'root ::= "ab"' });
    const b = (await engine.tokenize('b', {}))[0] as number;
    const a = (await engine.tokenize('a', {}))[0] as number;
    await expectCode(engine.step([{ seq, sampling: { temperature: 0 }, forceToken: b }]), 'grammar-rejected');
    await expectCode(engine.append(seq, [b]), 'grammar-rejected');
    expect((await engine.tokens(seq)).length).toBe(prompt.length);
    await engine.append(seq, [a]);
    const [r] = await engine.step([{ seq, sampling: { temperature: 1, seed: 1 } }]);
    expect(r?.token).toBe(b);
    const [end] = await engine.step([{ seq, sampling: { temperature: 1, seed: 1 } }]);
    expect(end?.eos).toBe(true);
    expect(end?.grammarDeadEnd).toBeUndefined();
    // Past the end of the grammar there is nothing left: the next step is a dead end, not a loop.
    const [after] = await engine.step([{ seq, sampling: { temperature: 1, seed: 1 } }]);
    expect(after?.eos).toBe(true);
    expect(after?.grammarDeadEnd).toBe(true);
    // Removing the constraint frees the sequence again.
    await engine.constrain(seq, null);
    await engine.append(seq, [b, b]);
    await engine.free(seq);
  });

  it('bad schemas and grammars are typed errors that name the problem', async () => {
    const seq = await engine.createSequence(await engine.tokenize('x', {}));
    const cases: [Constraint, string, RegExp][] = [
      [{ kind: 'json_schema', schema: '{"type": ' }, 'invalid-schema', /not valid JSON/],
      [{ kind: 'json_schema', schema: { type: 'wat' } }, 'invalid-schema', /unknown type "wat"/],
      [
        { kind: 'json_schema', schema: { type: 'integer', multipleOf: 3 } },
        'unsupported-schema',
        /multipleOf/,
      ],
      [
        {
          kind: 'json_schema',
          schema: { type: 'object', properties: { a: { type: 'array', uniqueItems: true } } },
        },
        'unsupported-schema',
        /\/properties\/a\/uniqueItems/,
      ],
      [{ kind: 'json_schema', schema: { not: { type: 'string' } } }, 'unsupported-schema', /"not"/],
      [{ kind: 'grammar', grammar: 'root ::= "a" | ' }, 'invalid-grammar', /does not parse/],
      [{ kind: 'grammar', grammar: 'root ::= undefined_rule' }, 'invalid-grammar', /does not parse/],
      [{ kind: 'regex', pattern: '' }, 'invalid-grammar', /empty/],
    ];
    for (const [constraint, code, message] of cases) {
      const e = await expectCode(engine.constrain(seq, constraint), code);
      expect(e.message).toMatch(message);
    }
    // The sequence is still unconstrained and usable after the refusals.
    await engine.step([{ seq, sampling: { temperature: 0 } }]);
    await engine.free(seq);
  });

  it('a schema past the compile-time limit is refused before compiling', async () => {
    const header = await parseGguf(await openFileSource(await standardFixture('llama-q4_0')));
    const compiler = new ConstraintCompiler(Tokenizer.fromMetadata(header.metadata), {
      compileTimeLimitMs: 5,
    });
    const wide = {
      type: 'object',
      properties: Object.fromEntries(
        Array.from({ length: 400 }, (_, i) => [
          `f${i}`,
          { anyOf: [{ type: 'integer' }, { type: 'string', maxLength: 9 }] },
        ]),
      ),
    };
    const e = await expectCode(
      compiler.compile({ kind: 'json_schema', schema: wide }),
      'grammar-too-complex',
    );
    expect(e.message).toMatch(/grammar rules.*limit 5 ms/s);
    // A small one compiles under the same limit.
    await compiler.compile({ kind: 'grammar', grammar: 'root ::= "a"' });
    await compiler.dispose();
  });
});

async function expectCode(p: Promise<unknown>, code: string): Promise<RuminateError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isRuminateError(e), `rejects with ${code}, got ${String(e)}`).toBe(true);
  expect((e as RuminateError).code).toBe(code);
  return e as RuminateError;
}
