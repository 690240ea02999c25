import { describe, expect, it } from 'vitest';
import {
  exactMatch,
  extractAnswer,
  extractCode,
  extractJson,
  javascriptTests,
  jsonSchemaVerifier,
  lastBoxed,
  meanLogprob,
  normalizeAnswer,
  rewardModel,
  runSandboxed,
  runVerifier,
  ScriptedEngine,
  selfCertainty,
  stripThinking,
  type VerifyInput,
  validateJson,
} from '../src/index.ts';

const input = (text: string, extra: Partial<VerifyInput> = {}): VerifyInput => ({
  prompt: 'What is 6 × 7?',
  text,
  steps: [],
  tokens: [],
  logprobs: [],
  selfCertainty: [],
  finished: true,
  ...extra,
});
const signal = new AbortController().signal;

describe('answer extraction', () => {
  it('skips reasoning blocks, closed, unclosed, or opened in the prompt', () => {
    expect(stripThinking('<think>maybe 5</think>The answer is 42')).toBe('The answer is 42');
    expect(stripThinking('So 42. <think>but 7')).toBe('So 42. ');
    expect(stripThinking('thinking 5 ... </think> 42')).toBe(' 42');
  });

  it('boxed (nested braces), "answer is", last number, regex', () => {
    expect(lastBoxed('x \\boxed{\\frac{1}{2}} y')).toBe('\\frac{1}{2}');
    expect(extractAnswer('<think>\\boxed{3}</think> so \\boxed{42}.')).toBe('42');
    expect(extractAnswer('<think>The answer is 7</think>The answer is 1,000.50.')).toBe('1000.5');
    expect(extractAnswer('we get 3 then 12 then 9', { mode: 'last-number' })).toBe('9');
    expect(extractAnswer('Final: (B) is right', { mode: 'regex', pattern: '\\(([A-E])\\)' })).toBe('b');
    expect(extractAnswer('<think>only thoughts 5')).toBeNull();
  });

  it('normalises TeX wrappers, case, punctuation and numbers', () => {
    expect(normalizeAnswer(' $\\text{Paris}$. ')).toBe('paris');
    expect(normalizeAnswer('3.50')).toBe('3.5');
    expect(normalizeAnswer('-0012')).toBe('-12');
    expect(normalizeAnswer('\\boxed{x+1}')).toBe('x+1');
  });

  it('exact match compares normalised answers', async () => {
    const v = exactMatch(['42']);
    expect(await v.verify(input('so \\boxed{42.0}'), signal)).toMatchObject({ passed: true, score: 1 });
    expect(await v.verify(input('<think>42</think> it is 41'), signal)).toMatchObject({
      passed: false,
      score: 0,
    });
  });
});

describe('JSON Schema', () => {
  const schema = {
    type: 'object' as const,
    properties: {
      name: { type: 'string' as const, minLength: 1, pattern: '^[A-Z]' },
      age: { type: 'integer' as const, minimum: 0, maximum: 150 },
      tags: { type: 'array' as const, items: { enum: ['a', 'b'] }, maxItems: 2 },
      kind: { const: 'person' },
    },
    required: ['name', 'age'],
    additionalProperties: false,
  };

  it('accepts valid documents and reports every violation with its path', () => {
    expect(validateJson({ name: 'Ada', age: 36, tags: ['a'], kind: 'person' }, schema)).toEqual([]);
    const errors = validateJson({ name: 'ada', age: 36.5, tags: ['a', 'c', 'b'], extra: 1 }, schema);
    expect(errors.map((e) => e.path).sort()).toEqual(['/age', '/extra', '/name', '/tags', '/tags/1'].sort());
    expect(validateJson({ age: -1 }, schema).map((e) => e.message)).toEqual(
      expect.arrayContaining(['missing required property "name"', 'must be ≥ 0']),
    );
    expect(validateJson(3, { type: ['string', 'null'] })).toHaveLength(1);
    expect(validateJson(3, { type: 'number', exclusiveMaximum: 3 })).toHaveLength(1);
    expect(validateJson('x', { anyOf: [{ type: 'number' }, { type: 'string' }] })).toEqual([]);
    expect(validateJson(1, { oneOf: [{ type: 'number' }, { type: 'integer' }] })).toHaveLength(1);
  });

  it('the verifier parses fenced or embedded JSON after the reasoning', async () => {
    const v = jsonSchemaVerifier(schema);
    expect(extractJson('<think>{}</think>Here:\n```json\n{"a": 1}\n```')).toBe('{"a": 1}');
    expect(
      await v.verify(input('<think>{"name": 1}</think> {"name": "Ada", "age": 3}'), signal),
    ).toMatchObject({ passed: true });
    const bad = await v.verify(input('{"name": "Ada"}'), signal);
    expect(bad.passed).toBe(false);
    expect(bad.reason).toContain('missing required property "age"');
    expect((await v.verify(input('not json'), signal)).reason).toMatch(/^not JSON/);
  });
});

describe('JavaScript unit tests in a sandboxed worker', () => {
  const tests = [
    'assertEqual(add(2, 3), 5)',
    'assertEqual(add(-1, 1), 0)',
    'assert(typeof add === "function")',
  ];

  it('scores the fraction of tests passed', async () => {
    const v = javascriptTests({ tests });
    const ok = await v.verify(input('Sure:\n```js\nfunction add(a, b) { return a + b; }\n```'), signal);
    expect(ok).toMatchObject({ passed: true, score: 1 });
    const half = await v.verify(
      input('```javascript\nfunction add(a, b) { return a * b + 1; }\n```'),
      signal,
    );
    expect(half.passed).toBe(false);
    expect(half.score).toBeCloseTo(2 / 3, 12);
    expect(half.reason).toContain('test 1');
  });

  it('has no Node or network globals', async () => {
    const r = await runSandboxed('', [
      'assert(typeof require === "undefined")',
      'assert(typeof process === "undefined")',
      'assert(typeof fetch === "undefined")',
      // The classic vm escape through a host-realm constructor must not reach Node's process.
      'assert(this.constructor.constructor("return typeof process")() === "undefined")',
    ]);
    expect(r).toMatchObject({ passed: 4, total: 4, killed: false });
  });

  it('terminates an infinite loop (synchronous or in microtasks) at the time limit', async () => {
    const sync = await runSandboxed('while (true) {}', ['assert(true)'], { timeoutMs: 300 });
    expect(sync.killed || sync.failures[0]?.includes('timed out')).toBe(true);
    expect(sync.passed).toBe(0);
    const micro = await runSandboxed('function f() { Promise.resolve().then(f); } f();', ['assert(true)'], {
      timeoutMs: 300,
    });
    expect(micro.passed).toBe(0);
    const v = javascriptTests({ tests: ['assert(true)'], timeoutMs: 200 });
    const verdict = (await runVerifier(v, [input('```js\nfor (;;) {}\n```')], { timeoutMs: 5000 }))[0];
    expect(verdict?.passed).toBe(false);
  });

  it('kills a run that exceeds its heap limit', async () => {
    const r = await runSandboxed('var a = []; for (;;) a.push(new Array(1e5).fill(1));', ['assert(true)'], {
      timeoutMs: 20_000,
      memoryMb: 16,
    });
    expect(r.killed).toBe(true);
    expect(r.passed).toBe(0);
  });

  it('extractCode takes the last JS fence', () => {
    expect(extractCode('```py\nx\n```\n```js\na\n```\n```js\nb\n```')).toBe('b\n');
    expect(extractCode('plain')).toBe('plain');
  });
});

describe('model-confidence scorers', () => {
  it('mean log-probability and self-certainty are the means of their per-token values', async () => {
    expect(await meanLogprob().verify(input('x', { logprobs: [-1, -2, -3] }), signal)).toEqual({
      passed: true,
      score: -2,
    });
    expect(await selfCertainty().verify(input('x', { selfCertainty: [1, 2] }), signal)).toEqual({
      passed: true,
      score: 1.5,
    });
    expect((await selfCertainty().verify(input('x'), signal)).passed).toBe(false);
  });
});

describe('reward model scorer', () => {
  // A judge whose p(" Yes") after the prompt depends on whether the solution says 42.
  const vocab = ['<eos>', ' Yes', ' No', 'Question:', ' ', '42', '41', 'Answer', ':', '\n', 'x'];
  const pYes = (tokens: readonly number[]) => (tokens.includes(5) ? 0.9 : 0.2);
  const judge = () =>
    new ScriptedEngine({
      vocab,
      eos: [0],
      next: (tokens) => {
        const p = new Array<number>(vocab.length).fill(0.01);
        p[1] = pYes(tokens);
        p[2] = 1 - pYes(tokens) - 0.01 * (vocab.length - 2);
        return p;
      },
    });
  const template = (i: VerifyInput) => `Question: ${i.text}\nAnswer:`;
  const expectedLogYes = (yes: number) => {
    const p = new Array<number>(vocab.length).fill(0.01);
    p[1] = yes;
    p[2] = 1 - yes - 0.01 * (vocab.length - 2);
    return Math.log(yes / p.reduce((a, b) => a + b, 0));
  };

  it('scores with the judgement token’s log-probability, in one batched step, releasing its sequences', async () => {
    const engine = judge();
    const v = rewardModel({ engine, template });
    const verdicts = await runVerifier(v, [input('42'), input('41'), input('x')]);
    expect(verdicts[0]?.score).toBeCloseTo(expectedLogYes(0.9), 12);
    expect(verdicts[1]?.score).toBeCloseTo(expectedLogYes(0.2), 12);
    expect(verdicts[0]?.passed).toBe(true);
    expect(verdicts[1]?.passed).toBe(false);
    expect(engine.stepBatchSizes).toEqual([3]);
    expect(engine.liveSequences).toBe(0);
  });

  it('normalises against a negative judgement when given', async () => {
    const engine = judge();
    const v = rewardModel({ engine, template, negative: ' No' });
    const [verdict] = await runVerifier(v, [input('42')]);
    const yes = 0.9;
    const no = 1 - yes - 0.01 * (vocab.length - 2);
    expect(verdict?.score).toBeCloseTo(Math.log(yes / (yes + no)), 12);
    expect(engine.stepBatchSizes).toEqual([2]);
    expect(engine.liveSequences).toBe(0);
  });

  it('a judgement that is not one token fails verification with a message naming the field', async () => {
    const v = rewardModel({ engine: judge(), template, judgement: ' Yes No' });
    const [verdict] = await runVerifier(v, [input('42')]);
    expect(verdict?.passed).toBe(false);
    expect(verdict?.reason).toMatch(/one token/);
  });
});
