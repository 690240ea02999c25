// `ruminate serve` through the official `openai` npm client, on loopback with a port picked by the
// OS, over the bundled model (models/mul-q8_0.gguf: it writes two-digit multiplications out, so
// replies can be checked against their own prompt): chat and plain completions, streaming with
// usage, `n`, log-probabilities, Ruminate's strategy field, OpenAI's error statuses, a client that
// disconnects, concurrent requests sharing steps, and a shutdown that finishes what is in flight.
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../tools/fixtures/standard-fixtures.ts';
import { type ServedModel, serveModel } from '../src/index.ts';

const MODEL = join(REPO_ROOT, 'models', 'mul-q8_0.gguf');
const KEY = 'test-key';
let served: ServedModel;
let client: OpenAI;

beforeAll(async () => {
  served = await serveModel({
    model: MODEL,
    port: 0,
    backend: 'wasm',
    threads: 1,
    apiKey: KEY,
    maxSequences: 24,
  });
  client = new OpenAI({ baseURL: served.server.url, apiKey: KEY, maxRetries: 0 });
});
afterAll(async () => {
  await served.close();
});

/** The operands of a "a*b=" prompt and whether `text` is working on them ("A:68*20=…" or "B:24*60=…"). */
function worksOn(text: string, a: number, b: number): boolean {
  const m = /^[AB]:(\d+)\*/.exec(text);
  return m !== null && [a, b].some((x) => m[1]?.startsWith(String(x)));
}

describe('ruminate serve with the openai client', () => {
  it('lists its model and answers a chat completion with n choices and log-probabilities', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['mul-q8_0']);
    const r = await client.chat.completions.create({
      model: 'mul-q8_0',
      messages: [{ role: 'user', content: '68*24=' }],
      n: 3,
      max_tokens: 48,
      temperature: 0.8,
      seed: 7,
      logprobs: true,
      top_logprobs: 2,
    });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe('mul-q8_0');
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    for (const c of r.choices) {
      expect(c.message.role).toBe('assistant');
      // The bundled model has no chat template of its own: the chat prompt reaches it reworded,
      // so the check is that it writes out a multiplication at all.
      expect(c.message.content).toMatch(/^[AB]:\d+\*\d+=/);
      const lp = c.logprobs?.content ?? [];
      expect(lp.length).toBeGreaterThan(0);
      expect(lp.map((t) => t.token).join('')).toBe(c.message.content);
      for (const t of lp) {
        expect(t.logprob).toBeLessThanOrEqual(0);
        expect(t.top_logprobs.length).toBe(2);
      }
    }
    expect(r.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(r.usage?.completion_tokens).toBeGreaterThanOrEqual(3);
  });

  it('streams a plain completion with n, then a usage chunk, then [DONE]', async () => {
    const stream = await client.completions.create({
      model: 'mul-q8_0',
      prompt: '57*31=',
      n: 2,
      max_tokens: 48,
      temperature: 0.8,
      seed: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts = ['', ''];
    const finish: (string | null)[] = [null, null];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        texts[c.index] += c.text;
        if (c.finish_reason) finish[c.index] = c.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    for (const t of texts) expect(worksOn(t, 57, 31)).toBe(true);
    expect(finish.every((f) => f === 'stop' || f === 'length')).toBe(true);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('echoes and returns plain-completion log-probabilities', async () => {
    const r = await client.completions.create({
      model: 'mul-q8_0',
      prompt: '12*34=',
      max_tokens: 8,
      temperature: 0,
      logprobs: 1,
      echo: true,
    });
    const c = r.choices[0];
    expect(c?.text.startsWith('12*34=')).toBe(true);
    expect(c?.logprobs?.tokens?.length).toBe(8);
    expect(c?.finish_reason).toBe('length');
  });

  it('runs a strategy named in the request and returns the ruminate block', async () => {
    const r = (await client.chat.completions.create({
      model: 'mul-q8_0',
      messages: [{ role: 'user', content: '68*24=' }],
      max_tokens: 48,
      seed: 11,
      // Ruminate's fields travel as extra body fields.
      ...({ strategy: 'sc@4', answer: { mode: 'last-number' } } as object),
    })) as OpenAI.ChatCompletion & { ruminate: { winner: number; trace: unknown[]; plan: { n: number } } };
    expect(r.ruminate.plan.n).toBe(4);
    expect(r.ruminate.trace).toHaveLength(4);
    expect(r.choices).toHaveLength(1);
  });

  it('plans a latency budget with the decode speed it measures', async () => {
    const r = (await client.completions.create({
      model: 'mul-q8_0',
      prompt: '68*24=',
      max_tokens: 48,
      seed: 5,
      ...({ budget: { latencyMs: 20_000 } } as object),
    })) as OpenAI.Completion & { ruminate: { plan: { speedSource: string; budget: unknown } } };
    expect(r.ruminate.plan.speedSource).toBe('measured');
    expect(r.choices[0]?.text).toMatch(/^[AB]:/);
  });

  it("passes constrained decoding's fields through to the engine (a regex)", async () => {
    const r = await client.completions.create({
      model: 'mul-q8_0',
      prompt: '68*24=',
      max_tokens: 24,
      n: 2,
      seed: 9,
      ...({ regex: 'B:[0-9]+\\*[0-9]+=[0-9]+' } as object),
    });
    for (const c of r.choices) expect(c.text).toMatch(/^B:\d+\*\d+=\d+$/);
    const bad = await client.completions
      .create({ model: 'mul-q8_0', prompt: '1*2=', ...({ regex: '(' } as object) })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('answers bad input with OpenAI errors and statuses', async () => {
    await expect(
      client.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const bad = await client.chat.completions
      .create({ model: 'mul-q8_0', messages: [{ role: 'user', content: 'x' }], temperature: -1 })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
    const wrongKey = new OpenAI({ baseURL: served.server.url, apiKey: 'nope', maxRetries: 0 });
    await expect(wrongKey.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${served.server.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
        body,
      });
    const malformed = await post('{"messages": [');
    expect(malformed.status).toBe(400);
    const err = (await malformed.json()) as {
      error: { message: string; type: string; param: string; code: string };
    };
    expect(err.error).toMatchObject({
      type: 'invalid_request_error',
      param: 'body',
      code: 'invalid-argument',
    });
    expect((await post('[1,2]')).status).toBe(400);
    // Client JavaScript as a verifier is refused unless the server allows it.
    const code = await post(
      JSON.stringify({
        messages: [{ role: 'user', content: 'x' }],
        strategy: 'bon@2',
        verifier: { tests: ['1'] },
      }),
    );
    expect(code.status).toBe(400);
    expect(((await code.json()) as { error: { param: string } }).error.param).toBe('verifier');
    expect((await post(JSON.stringify({ messages: 'hi' }))).status).toBe(400);
    expect((await post(JSON.stringify({ messages: [{ role: 'wizard', content: 1 }] }))).status).toBe(400);
    const huge = await post(JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(2 << 20) }] }));
    expect(huge.status).toBe(413);
    const tokens = await fetch(`${served.server.url}/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: [1, 2, 1e9] }),
    });
    expect(tokens.status).toBe(400);
    const route = await fetch(`${served.server.url}/embeddings`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(route.status).toBe(404);
    // The process is still serving.
    expect((await fetch(served.server.url.replace('/v1', '/health'))).status).toBe(200);
  });

  it('batches concurrent requests into shared steps, each reply about its own prompt', async () => {
    const before = served.coalescer.stats();
    const problems: [number, number][] = [
      [68, 24],
      [57, 31],
      [12, 34],
      [45, 67],
    ];
    const replies = await Promise.all(
      problems.map(([a, b], i) =>
        client.completions.create({
          model: 'mul-q8_0',
          prompt: `${a}*${b}=`,
          max_tokens: 48,
          seed: i,
          temperature: 0.7,
        }),
      ),
    );
    replies.forEach((r, i) => {
      const [a, b] = problems[i] as [number, number];
      expect(worksOn(r.choices[0]?.text ?? '', a, b)).toBe(true);
    });
    const after = served.coalescer.stats();
    expect(after.maxCallsPerStep).toBeGreaterThanOrEqual(2);
    expect(after.steps - before.steps).toBeLessThan(after.calls - before.calls);
  });

  it('aborts and frees the sequences of a client that disconnects mid-stream', async () => {
    const info = await served.engine.info();
    // End-of-text banned: left alone, the run would take max_tokens steps.
    const banEos = Object.fromEntries((info?.eosTokenIds ?? []).map((id) => [String(id), -100]));
    const maxTokens = Math.min(400, (info?.contextLength ?? 128) - 16);
    const before = served.coalescer.stats().steps;
    const ctrl = new AbortController();
    const stream = await client.chat.completions.create(
      {
        model: 'mul-q8_0',
        messages: [{ role: 'user', content: '68*24=' }],
        n: 4,
        max_tokens: maxTokens,
        temperature: 1.5,
        logit_bias: banEos,
        stream: true,
      },
      { signal: ctrl.signal },
    );
    let chunks = 0;
    // The openai client ends the iteration quietly when its signal aborts.
    for await (const _ of stream) if (++chunks === 3) ctrl.abort();
    expect(chunks).toBe(3);
    // The server notices the closed socket, aborts the run and frees its sequences.
    for (let i = 0; i < 500 && (await served.engine.memory()).sequences > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect((await served.engine.memory()).sequences).toBe(0);
    expect(served.coalescer.stats().steps - before).toBeLessThan(maxTokens / 2);
    const health = (await (await fetch(served.server.url.replace('/v1', '/health'))).json()) as {
      running: number;
    };
    expect(health.running).toBe(0);
  });
});

describe('ruminate serve under pressure', () => {
  it('refuses a request the engine cannot hold while others run with 429 and Retry-After', async () => {
    const small = await serveModel({ model: MODEL, port: 0, backend: 'wasm', threads: 1, maxSequences: 6 });
    try {
      const c = new OpenAI({ baseURL: small.server.url, apiKey: 'none', maxRetries: 0 });
      const long = c.completions.create({
        model: 'mul-q8_0',
        prompt: '68*24=',
        n: 4,
        max_tokens: 64,
        seed: 1,
      });
      while ((await small.engine.memory()).sequences === 0) await new Promise((r) => setTimeout(r, 5));
      const refused = await c.completions
        .create({ model: 'mul-q8_0', prompt: '12*34=', n: 4, max_tokens: 64 })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
      expect((refused as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).toBe('1');
      expect((await long).choices).toHaveLength(4);
    } finally {
      await small.close();
    }
  });

  it('on close finishes the request in flight, refuses new ones with 503, then stops', async () => {
    const s = await serveModel({ model: MODEL, port: 0, backend: 'wasm', threads: 1 });
    const c = new OpenAI({ baseURL: s.server.url, apiKey: 'none', maxRetries: 0 });
    const inFlight = c.completions.create({ model: 'mul-q8_0', prompt: '68*24=', max_tokens: 40, seed: 2 });
    while ((await s.engine.memory()).sequences === 0) await new Promise((r) => setTimeout(r, 5));
    const closed = s.close();
    const refused = await c.completions
      .create({ model: 'mul-q8_0', prompt: '1*2=' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect(worksOn((await inFlight).choices[0]?.text ?? '', 68, 24)).toBe(true);
    await closed;
    await expect(fetch(`${s.server.url}/models`)).rejects.toThrow();
  });
});
