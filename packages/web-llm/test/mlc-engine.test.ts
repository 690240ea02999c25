// MLCEngine over the real runtime (in-process, WebAssembly backend) on the ASCII chat fixture: what
// WebLLM's examples rely on — seeds, n, streaming order and usage, multi-round prefix reuse,
// log-probabilities, errors — plus Ruminate's strategies through WebLLM's request shape.
import { isRuminateError } from '@ruminate/errors';
import { RuminateEngine } from '@ruminate/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asciiChatFixture } from '../../../tools/fixtures/ascii-chat-fixture.ts';
import { type ChatCompletionChunk, type ChatCompletionMessageParam, MLCEngine } from '../src/index.ts';

const MODEL = 'ascii-chat';
let engine: MLCEngine;
const reports: string[] = [];

beforeAll(async () => {
  const path = await asciiChatFixture();
  engine = new MLCEngine(
    {
      appConfig: { model_list: [{ model_id: MODEL, model: path, model_lib: 'ignored.wasm' }] },
      initProgressCallback: (r) => reports.push(r.text),
      logLevel: 'ERROR',
    },
    { engine: () => new RuminateEngine(), load: { backend: 'wasm', threads: 1 } },
  );
  await engine.reload(MODEL, { context_window_size: 2048 });
});

afterAll(() => engine?.unload());

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('MLCEngine (WebLLM API over Ruminate)', () => {
  it('reports load progress and ends with a finish line', () => {
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.at(-1)).toMatch(/^Finish loading ascii-chat/);
  });

  it('same seed, same choices; n choices from one prefill; usage with WebLLM extras', async () => {
    const request = {
      messages: [{ role: 'user' as const, content: 'Write a creative Haiku about Pittsburgh' }],
      n: 3,
      temperature: 1.2,
      max_tokens: 24,
      seed: 42,
    };
    const a = await engine.chat.completions.create(request);
    const b = await engine.chat.completions.create(request);
    expect(a.choices).toHaveLength(3);
    expect(b.choices.map((c) => c.message.content)).toEqual(a.choices.map((c) => c.message.content));
    // Different streams per choice: at least two of three differ (24 tokens at temperature 1.2).
    expect(new Set(a.choices.map((c) => c.message.content)).size).toBeGreaterThan(1);
    expect(await engine.getMessage()).toBe(b.choices[2]?.message.content);
    const u = a.usage;
    expect(u?.completion_tokens).toBe(a.ruminate?.usage.generatedTokens);
    expect(u?.total_tokens).toBe((u?.prompt_tokens ?? 0) + (u?.completion_tokens ?? 0));
    expect(a.ruminate?.usage.promptTokens).toBeGreaterThan(0);
    for (const v of Object.values(u?.extra ?? {})) expect(Number.isFinite(v)).toBe(true);
    expect(u?.extra.prefill_tokens_per_s).toBeGreaterThan(0);
    expect(u?.extra.decode_tokens_per_s).toBeGreaterThan(0);
    expect(await engine.runtimeStatsText()).toMatch(
      /^prefill: [\d.]+ tokens\/sec, decoding: [\d.]+ tokens\/sec$/,
    );
  });

  it('a second round prefills only the new turn: the history is the KV cache of the first', async () => {
    await engine.resetChat();
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You are a helpful, respectful and honest assistant.' },
      { role: 'user', content: 'Provide me three US states.' },
    ];
    const r0 = await engine.chat.completions.create({ messages, max_tokens: 16, seed: 1 });
    const reply0 = await engine.getMessage();
    expect(reply0).toBe(r0.choices[0]?.message.content);
    messages.push({ role: 'assistant', content: reply0 }, { role: 'user', content: 'Two more please!' });
    const r1 = await engine.chat.completions.create({ messages, max_tokens: 16, seed: 1 });
    const p0 = r0.usage?.prompt_tokens ?? Number.NaN;
    const p1 = r1.usage?.prompt_tokens ?? Number.NaN;
    // Round 1's prompt holds round 0's whole prompt and reply; only its new turn (and the reply's
    // last token, never forwarded) is prefilled.
    const full1 = r1.ruminate?.usage.promptTokens ?? 0;
    const reply0Tokens = r0.ruminate?.trace.find((c) => c.id === r0.ruminate?.winner)?.tokens.length ?? 0;
    expect(full1).toBeGreaterThanOrEqual(p0 + reply0Tokens - 1);
    expect(p1).toBeLessThan(full1 - p0);
    expect(p1).toBeGreaterThan(0);
    // An edited history is templated from scratch: every prompt token is prefilled.
    const edited = [
      { ...messages[0], content: 'Another system prompt' } as ChatCompletionMessageParam,
      ...messages.slice(1),
    ];
    const r2 = await engine.chat.completions.create({ messages: edited, max_tokens: 4 });
    expect(r2.usage?.prompt_tokens).toBeGreaterThan(p1);
  });

  it('streams deltas, then a finish chunk, then usage; the deltas are the message', async () => {
    const stream = await engine.chat.completions.create({
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Who are you?' }],
      max_tokens: 20,
      logprobs: true,
      top_logprobs: 2,
      seed: 7,
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const usage = chunks.at(-1);
    const finish = chunks.at(-2);
    expect(usage?.choices).toEqual([]);
    expect(usage?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(finish?.choices[0]?.finish_reason).toMatch(/^(stop|length)$/);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe(await engine.getMessage());
    expect(chunks.filter((c) => c.usage)).toHaveLength(1);
    // Log-probabilities come with the deltas, as WebLLM sends them: every token once, in order.
    const lp = chunks.flatMap((c) => c.choices[0]?.logprobs?.content ?? []);
    const winner = usage?.ruminate?.trace?.find((c) => c.id === usage.ruminate?.winner);
    expect(lp.length).toBe(winner?.tokens.length);
    expect(lp.length).toBeGreaterThan(0);
    expect(finish?.choices[0]?.logprobs ?? null).toBeNull();
    expect(lp.map((t) => t.token).join('')).toBe(text);
    for (const t of lp) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.top_logprobs.length).toBeLessThanOrEqual(2);
    }
    // The same request without streaming gives the same text (same seed).
    const whole = await engine.chat.completions.create({
      messages: [{ role: 'user', content: 'Who are you?' }],
      max_tokens: 20,
      seed: 7,
    });
    expect(whole.choices[0]?.message.content).toBe(text);
  });

  it('streams n > 1 choices (WebLLM refuses this; here each delta names its choice)', async () => {
    const stream = await engine.chat.completions.create({
      stream: true,
      n: 2,
      messages: [{ role: 'user', content: 'Who are you?' }],
      max_tokens: 12,
      seed: 8,
    });
    const texts = ['', ''];
    let finish: ChatCompletionChunk | undefined;
    for await (const c of stream) {
      if (c.choices.some((x) => x.finish_reason)) finish = c;
      for (const x of c.choices) texts[x.index] += x.delta.content ?? '';
    }
    expect(finish?.choices.map((x) => x.index)).toEqual([0, 1]);
    const whole = await engine.chat.completions.create({
      n: 2,
      messages: [{ role: 'user', content: 'Who are you?' }],
      max_tokens: 12,
      seed: 8,
    });
    expect(texts).toEqual(whole.choices.map((c) => c.message.content));
  });

  it('interruptGenerate ends a stream with finish reason "abort"', async () => {
    const stream = await engine.chat.completions.create({
      stream: true,
      messages: [{ role: 'user', content: 'Tell me a long story.' }],
      max_tokens: 400,
      seed: 3,
    });
    engine.interruptGenerate(); // before the run's first step has answered
    const reasons: (string | null)[] = [];
    for await (const c of stream) reasons.push(c.choices[0]?.finish_reason ?? null);
    expect(reasons.at(-1)).toBe('abort');
    // The engine serves the next request.
    const next = await engine.chat.completions.create({
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 2,
    });
    expect(next.choices).toHaveLength(1);
  });

  it('plain completions, with echo and logprobs in WebLLM format', async () => {
    const r = await engine.completions.create({
      prompt: 'Once upon a time',
      max_tokens: 8,
      echo: true,
      logprobs: true,
      seed: 5,
    });
    expect(r.object).toBe('text_completion');
    expect(r.choices[0]?.text.startsWith('Once upon a time')).toBe(true);
    const tokens = r.ruminate?.trace?.find((c) => c.id === r.ruminate?.winner)?.tokens;
    expect(r.choices[0]?.logprobs?.content?.length).toBe(tokens?.length);
  });

  it("runs Ruminate's strategies from a WebLLM request and returns the trace", async () => {
    const r = await engine.chat.completions.create({
      messages: [{ role: 'user', content: '2+2=' }],
      strategy: 'sc@4',
      max_tokens: 8,
      seed: 11,
    });
    expect(r.ruminate?.plan.strategy).toBe('sc');
    expect(r.ruminate?.trace).toHaveLength(4);
    expect(r.choices).toHaveLength(1);
  });

  it("fails as WebLLM does, with Ruminate's codes", async () => {
    const unknown = await rejection(engine.reload('Llama-3.1-8B-Instruct-q4f32_1-MLC'));
    expect(isRuminateError(unknown, 'unknown-model')).toBe(true);
    expect((unknown as Error).message).toContain(MODEL); // the ids there are
    const bias = await rejection(
      engine.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }], logit_bias: { '5': 2 } }),
    );
    expect(isRuminateError(bias, 'unsupported-feature')).toBe(true);
    // -100 bans a token: a model whose only likely tokens are banned still answers, without them.
    const banned = await engine.completions.create({
      prompt: 'Once upon a time',
      max_tokens: 6,
      seed: 5,
      temperature: 0,
    });
    const first = banned.ruminate?.trace?.[0]?.tokens[0] as number;
    const without = await engine.completions.create({
      prompt: 'Once upon a time',
      max_tokens: 6,
      seed: 5,
      temperature: 0,
      logit_bias: { [String(first)]: -100 },
    });
    expect(without.ruminate?.trace?.[0]?.tokens).not.toContain(first);
    const order = await rejection(
      engine.chat.completions.create({
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'system', content: 'late' },
          { role: 'user', content: 'hi' },
        ],
      }),
    );
    expect(isRuminateError(order, 'invalid-argument')).toBe(true);
    const last = await rejection(
      engine.chat.completions.create({ messages: [{ role: 'assistant', content: 'hi' }] }),
    );
    expect(isRuminateError(last, 'invalid-argument')).toBe(true);
    const top = await rejection(
      engine.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }], top_logprobs: 2 }),
    );
    expect((top as { field?: string }).field).toBe('top_logprobs');
    // An unknown id fails before anything is unloaded: the model still serves.
    expect(
      (await engine.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }))
        .choices,
    ).toHaveLength(1);
  });
  it('forwardTokensAndSample: a prefill, then decode steps fed back the sampled token', async () => {
    const vocab = 1024; // the fixture's vocabulary
    const first = await engine.forwardTokensAndSample([1000, 70, 71, 72], true);
    const second = await engine.forwardTokensAndSample([first], false);
    for (const t of [first, second]) expect(Number.isInteger(t) && t >= 0 && t < vocab).toBe(true);
  });

  it("reload with several ids serves each by the request's model field", async () => {
    const path = await asciiChatFixture();
    engine.setAppConfig({
      model_list: [
        { model_id: 'a', model: path, model_lib: '' },
        { model_id: 'b', model: path, model_lib: '' },
      ],
    });
    await engine.reload(['a', 'b'], [{ temperature: 0 }, { temperature: 0 }]);
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const ra = await engine.chat.completions.create({ messages, model: 'a', max_tokens: 4 });
    const rb = await engine.chat.completions.create({ messages, model: 'b', max_tokens: 4 });
    expect(ra.model).toBe('a');
    expect(rb.model).toBe('b');
    expect(rb.choices[0]?.message.content).toBe(ra.choices[0]?.message.content); // same weights, temperature 0
    const unclear = await rejection(engine.chat.completions.create({ messages, max_tokens: 4 }));
    expect((unclear as { field?: string }).field).toBe('model');
    expect(await engine.getMessage('a')).toBe(ra.choices[0]?.message.content);
  });
});
