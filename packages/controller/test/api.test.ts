import { isRuminateError, RuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import {
  type ChatCompletionChunk,
  createEngine,
  type DecodeSpeed,
  type SpeedCache,
  speedCacheKey,
} from '../src/index.ts';
import { answerModel, engineFor, fixedModel } from './scripted-models.ts';

const messages = [{ role: 'user' as const, content: 'Q:' }];

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RuminateError) return `${e.code}:${e.field}`;
    throw e;
  }
  return 'no error';
}

describe('createEngine: OpenAI-shaped chat completions', () => {
  it('returns n choices, usage and finish_reason as OpenAI does, plus the ruminate block', async () => {
    const engine = await createEngine({
      engine: engineFor(answerModel({ '42': 0.5, '17': 0.5 }, { tail: 2 })),
    });
    const r = await engine.chat.completions.create({ messages, n: 3, seed: 4, max_tokens: 3 });
    expect(r.object).toBe('chat.completion');
    expect(r.choices).toHaveLength(3);
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    for (const c of r.choices) {
      expect(c.message.role).toBe('assistant');
      expect(c.message.content).toMatch(/^The answer is (42|17)/);
      expect(c.finish_reason).toBe('length'); // 4 tokens before EOS, max_tokens 3
      expect(c.logprobs).toBeNull();
    }
    // Prompt "Q:\n" tokenizes to one token in this vocabulary.
    expect(r.usage).toEqual({
      prompt_tokens: 1,
      completion_tokens: 9,
      total_tokens: 10,
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(r.ruminate.plan).toMatchObject({ strategy: 'sample', n: 3, choices: 3, maxTokens: 3, seed: 4 });
    expect(r.ruminate.trace).toHaveLength(3);
    expect(r.ruminate.winner).toBe(r.ruminate.trace[0]?.id);
  });

  it('a strategy spends more tokens than it returns: the extra are reported as reasoning tokens', async () => {
    const engine = await createEngine({ engine: engineFor(answerModel({ '42': 0.7, '17': 0.3 })) });
    const r = await engine.chat.completions.create({ messages, strategy: 'sc@8', seed: 1 });
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0]?.finish_reason).toBe('stop');
    expect(r.usage.completion_tokens).toBe(8 * 3); // 2 tokens + EOS each
    expect(r.usage.completion_tokens_details.reasoning_tokens).toBe(7 * 3);
    expect(r.ruminate.answer).toMatch(/^(42|17)$/);
    expect(r.ruminate.usage.stepCalls).toBe(3);
  });

  it('logprobs and top_logprobs in OpenAI’s format', async () => {
    const engine = await createEngine({ engine: engineFor(answerModel({ '42': 0.75, '17': 0.25 })) });
    const r = await engine.chat.completions.create({
      messages,
      logprobs: true,
      top_logprobs: 2,
      temperature: 0,
    });
    const lp = r.choices[0]?.logprobs?.content ?? [];
    expect(lp.map((l) => l.token)).toEqual(['The answer is ', '42']);
    expect(lp[1]?.logprob).toBeCloseTo(Math.log(0.75), 12);
    expect(lp[1]?.top_logprobs.map((t) => t.token)).toEqual(['42', '17']);
    expect(lp[1]?.top_logprobs[1]?.logprob).toBeCloseTo(Math.log(0.25), 12);
    expect(lp[1]?.bytes).toEqual([52, 50]);
  });

  it('response_format json_schema becomes the best-of-N verifier', async () => {
    const vocab = ['{"a": 1}', '{"a": "x"}'];
    const model = {
      ...fixedModel(vocab, []),
      next: (tokens: readonly number[], promptLength: number) =>
        tokens.length > promptLength ? [1, 0, 0, 0] : [0, 0, 0.5, 0.5],
    };
    const engine = await createEngine({ engine: engineFor(model) });
    const r = await engine.chat.completions.create({
      messages,
      strategy: { name: 'bon', samples: 6, abstain: true },
      seed: 3,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'a',
          schema: { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] },
        },
      },
    });
    expect(r.choices[0]?.message.content).toBe('{"a": 1}');
    expect(r.ruminate.trace.some((c) => c.passed === false)).toBe(true);
  });

  it('invalid parameters give typed errors naming the field', async () => {
    const engine = await createEngine({ engine: engineFor(answerModel({ '42': 1 })) });
    const create = engine.chat.completions.create;
    expect(await errorOf(create({ messages, n: 0 }))).toBe('invalid-argument:n');
    expect(await errorOf(create({ messages, temperature: -0.5 }))).toBe('invalid-argument:temperature');
    expect(await errorOf(create({ messages, top_p: 1.5 }))).toBe('invalid-argument:top_p');
    expect(await errorOf(create({ messages, max_tokens: 0 }))).toBe('invalid-argument:max_tokens');
    expect(await errorOf(create({ messages, strategy: 'mcts@4' }))).toBe('unknown-strategy:strategy');
    expect(await errorOf(create({ messages, strategy: 'sc@0' }))).toBe('invalid-argument:strategy.samples');
    expect(await errorOf(create({ messages, strategy: { name: 'beam', samples: 4, width: 0 } }))).toBe(
      'invalid-argument:strategy.width',
    );
    expect(await errorOf(create({ messages, strategy: 'sc@4', n: 5 }))).toBe('invalid-argument:n');
    expect(await errorOf(create({ messages, budget: { tokens: 3 } }))).toBe('budget-too-small:budget.tokens');
    expect(await errorOf(create({ messages: [] }))).toBe('invalid-argument:messages');
    expect(await errorOf(create({ messages, top_logprobs: 3 }))).toBe('invalid-argument:top_logprobs');
    expect(await errorOf(create({ messages, verifier: 'oracle' as 'mean-logprob' }))).toBe(
      'invalid-argument:verifier',
    );
    // Streaming requests are checked before any chunk: create itself rejects.
    expect(await errorOf(create({ messages, n: 0, stream: true }))).toBe('invalid-argument:n');
    expect(await errorOf(create({ messages, strategy: 'mcts', stream: true }))).toBe(
      'unknown-strategy:strategy',
    );
  });

  it('plans before running: engine.plan(request) with a latency budget and a cached speed', async () => {
    const speed: DecodeSpeed = {
      source: 'measured',
      points: [
        { width: 1, tokensPerSecond: 50 },
        { width: 4, tokensPerSecond: 180 },
        { width: 16, tokensPerSecond: 600 },
      ],
    };
    const scripted = engineFor(answerModel({ '42': 1 }));
    const cache: SpeedCache = { get: () => speed, set: () => {} };
    const engine = await createEngine({ engine: scripted, speedCache: cache });
    const plan = await engine.plan({ messages, budget: { latencyMs: 2000 }, max_tokens: 50 });
    expect(plan.strategy).toBe('sc');
    expect(plan.n).toBeGreaterThan(1);
    expect(plan.expectedMs as number).toBeLessThanOrEqual(2000);
    expect(scripted.stepBatchSizes).toHaveLength(0); // planning runs nothing
    const run = await engine.chat.completions.create({
      messages,
      budget: { latencyMs: 2000 },
      max_tokens: 50,
      seed: 1,
    });
    expect(run.ruminate.plan.n).toBe(plan.n);
    expect(run.ruminate.trace).toHaveLength(plan.n);
    expect(speedCacheKey(await scripted.info())).toContain('answer-model');
  });

  it('plain completions, with echo', async () => {
    const engine = await createEngine({ engine: engineFor(answerModel({ '42': 1 })) });
    const r = await engine.completions.create({ prompt: 'Q:', echo: true, temperature: 0, logprobs: 1 });
    expect(r.object).toBe('text_completion');
    expect(r.choices[0]?.text).toBe('Q:The answer is 42');
    expect(r.choices[0]?.logprobs?.tokens).toEqual(['The answer is ', '42']);
    expect(r.choices[0]?.logprobs?.text_offset).toEqual([2, 16]);
  });

  it('an engine without a model and no model to load is refused', async () => {
    const scripted = engineFor(answerModel({ '42': 1 }));
    scripted.info = async () => undefined;
    await expect(createEngine({ engine: scripted })).rejects.toSatisfy((e) =>
      isRuminateError(e, 'not-loaded'),
    );
  });
});

describe('streaming', () => {
  it('sample: choices stream as OpenAI deltas; the last chunk has finish reasons, usage and the result', async () => {
    const engine = await createEngine({
      engine: engineFor(answerModel({ '42': 0.5, '17': 0.5 }, { tail: 1 })),
    });
    const stream = await engine.chat.completions.create({ messages, n: 2, stream: true, seed: 5 });
    const chunks: ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const last = chunks[chunks.length - 1] as ChatCompletionChunk;
    const text = [0, 1].map((i) =>
      chunks
        .slice(0, -1)
        .flatMap((c) => c.choices.filter((ch) => ch.index === i))
        .map((ch) => ch.delta.content ?? '')
        .join(''),
    );
    expect(text[0]).toMatch(/^The answer is (42|17) ok$|^The answer is (42|17) [a-z]$/);
    expect(last.choices.map((c) => c.finish_reason)).toEqual(['stop', 'stop']);
    expect(last.usage?.completion_tokens).toBe(8);
    expect(last.ruminate?.trace?.map((t) => t.text)).toEqual(text);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('a strategy streams each candidate’s deltas in ruminate fields, then the chosen answer', async () => {
    const engine = await createEngine({ engine: engineFor(answerModel({ '42': 0.6, '17': 0.4 })) });
    const stream = await engine.chat.completions.create({
      messages,
      strategy: 'sc@4',
      stream: true,
      seed: 2,
    });
    const perCandidate = new Map<number, string>();
    let last: ChatCompletionChunk | undefined;
    for await (const c of stream) {
      if (c.ruminate?.candidate !== undefined) {
        expect(c.choices).toEqual([]);
        perCandidate.set(
          c.ruminate.candidate,
          (perCandidate.get(c.ruminate.candidate) ?? '') + (c.ruminate.delta ?? ''),
        );
      } else last = c;
    }
    expect(perCandidate.size).toBe(4);
    expect(last?.choices[0]?.delta.content).toBe(`The answer is ${last?.ruminate?.answer}`);
    for (const t of last?.ruminate?.trace ?? []) expect(perCandidate.get(t.id)).toBe(t.text);
  });

  it('breaking out of a stream aborts the run and frees its sequences; an aborted signal rejects', async () => {
    const scripted = engineFor(answerModel({ '42': 1 }, { tail: 200 }));
    const engine = await createEngine({ engine: scripted });
    const stream = await engine.chat.completions.create({
      messages,
      strategy: 'sample@4',
      n: 4,
      stream: true,
      seed: 1,
    });
    let seen = 0;
    for await (const _ of stream) if (++seen === 10) break;
    await new Promise((r) => setTimeout(r, 20));
    expect(scripted.liveSequences).toBe(0);
    expect(scripted.stepBatchSizes.length).toBeLessThan(50);
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(engine.chat.completions.create({ messages }, { signal: ctrl.signal })).rejects.toSatisfy(
      (e) => isRuminateError(e, 'aborted'),
    );
    expect(scripted.liveSequences).toBe(0);
  });
});
