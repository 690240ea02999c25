// The remote engine against a stub OpenAI-compatible server on loopback that misbehaves on
// purpose: 500s then success, 429 with Retry-After, a 429 that never ends, 401, a stream cut off
// before [DONE], a chunk that is not JSON, a server that never answers and one that stops
// mid-stream, a server that ignores `n`, one that refuses `logprobs` — and the retry and SSE
// helpers on their own.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRuminateError } from '@ruminate/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type RuminateClient } from '../src/index.ts';
import { backoffMs, DEFAULT_RETRY, retryAfterMs } from '../src/remote/retry.ts';
import { sseData } from '../src/remote/sse.ts';

type Handler = (
  body: Record<string, unknown>,
  req: IncomingMessage,
  res: ServerResponse,
  call: number,
) => void;

interface Stub {
  url: string;
  calls: { at: number; body: Record<string, unknown> }[];
  server: Server;
}

const stubs: Stub[] = [];
afterEach(async () => {
  for (const s of stubs.splice(0)) {
    s.server.closeAllConnections();
    await new Promise((r) => s.server.close(r));
  }
});

/** A stub server: GET /v1/models lists "stub"; POSTs go to `handler` with their call number. */
async function stub(handler: Handler): Promise<Stub> {
  const calls: Stub['calls'] = [];
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'stub', object: 'model' }] }));
      return;
    }
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      calls.push({ at: performance.now(), body });
      handler(body, req, res, calls.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const s = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, calls, server };
  stubs.push(s);
  return s;
}

/** A well-formed streamed completion: `texts[i]` as choice i, one chunk per character, then [DONE]. */
function streamTexts(
  res: ServerResponse,
  texts: string[],
  opts: { done?: boolean; finish?: boolean; logprobs?: boolean } = {},
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  texts.forEach((t, index) => {
    for (const ch of t) {
      const lp =
        opts.logprobs === false
          ? null
          : { tokens: [ch], token_logprobs: [-0.25], top_logprobs: [{ [ch]: -0.25 }] };
      res.write(
        `data: ${JSON.stringify({ choices: [{ index, text: ch, logprobs: lp, finish_reason: null }] })}\n\n`,
      );
    }
    if (opts.finish !== false)
      res.write(`data: ${JSON.stringify({ choices: [{ index, text: '', finish_reason: 'stop' }] })}\n\n`);
  });
  res.write(
    `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 6 } })}\n\n`,
  );
  if (opts.done !== false) res.write('data: [DONE]\n\n');
  res.end();
}

const quick = { retries: 3, baseMs: 1, maxWaitMs: 2000 };
async function remote(url: string, extra: Record<string, unknown> = {}): Promise<RuminateClient> {
  return createEngine({ remote: { baseURL: url, retry: quick, ...extra } });
}
async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'no error',
    (e: unknown) => (isRuminateError(e) ? e.code : String(e)),
  );
}

describe('the remote engine against a misbehaving server', () => {
  it('retries 500s and gets the answer', async () => {
    const s = await stub((_b, _q, res, call) => {
      if (call <= 2) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'boom' } }));
      } else streamTexts(res, ['42']);
    });
    const client = await remote(s.url);
    const r = await client.completions.create({ prompt: 'Q', max_tokens: 8 });
    expect(r.choices[0]?.text).toBe('42');
    expect(s.calls).toHaveLength(3);
  });

  it('waits as long as a 429 Retry-After says before retrying', async () => {
    const s = await stub((_b, _q, res, call) => {
      if (call === 1) {
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'busy' } }));
      } else streamTexts(res, ['ok']);
    });
    const client = await remote(s.url);
    const r = await client.completions.create({ prompt: 'Q', max_tokens: 8 });
    expect(r.choices[0]?.text).toBe('ok');
    // A lower bound only: the retry came no sooner than the server asked (backoff alone is ≤ 1 ms here).
    const [first, second] = s.calls;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('gives up on a 429 that never ends with remote-failed, and does not retry a 401', async () => {
    const busy = await stub((_b, _q, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'still busy' } }));
    });
    const err = await (await remote(busy.url)).completions.create({ prompt: 'Q' }).catch((e: unknown) => e);
    expect(isRuminateError(err, 'remote-failed')).toBe(true);
    expect(String((err as Error).message)).toContain(busy.url);
    expect(busy.calls).toHaveLength(1 + quick.retries);
    const locked = await stub((_b, _q, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'bad key' } }));
    });
    expect(await codeOf((await remote(locked.url)).completions.create({ prompt: 'Q' }))).toBe('unauthorized');
    expect(locked.calls).toHaveLength(1);
  });

  it('turns a truncated stream and a chunk that is not JSON into remote-malformed', async () => {
    const cut = await stub((_b, _q, res) => streamTexts(res, ['par'], { done: false, finish: false }));
    const e1 = await (await remote(cut.url)).completions.create({ prompt: 'Q' }).catch((e: unknown) => e);
    expect(isRuminateError(e1, 'remote-malformed')).toBe(true);
    expect(String((e1 as Error).message)).toMatch(/truncated|ended/);
    const garbage = await stub((_b, _q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"choices": [\n\n');
    });
    expect(await codeOf((await remote(garbage.url)).completions.create({ prompt: 'Q' }))).toBe(
      'remote-malformed',
    );
  });

  it('times out a server that never answers, and one that goes quiet mid-stream', async () => {
    const silent = await stub(() => {});
    const c1 = await remote(silent.url, { timeoutMs: 150, retry: { retries: 0 } });
    expect(await codeOf(c1.completions.create({ prompt: 'Q' }))).toBe('remote-timeout');
    const stalls = await stub((_b, _q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text: 'a', finish_reason: null }] })}\n\n`);
    });
    const c2 = await remote(stalls.url, { idleTimeoutMs: 150 });
    expect(await codeOf(c2.completions.create({ prompt: 'Q' }))).toBe('remote-timeout');
  });

  it('aborts a call in flight when the caller aborts', async () => {
    let closed = false;
    const s = await stub((_b, req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text: 'a', finish_reason: null }] })}\n\n`);
      req.socket.on('close', () => (closed = true));
    });
    const client = await remote(s.url);
    const ctrl = new AbortController();
    const p = client.completions.create({ prompt: 'Q' }, { signal: ctrl.signal });
    while (s.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    ctrl.abort();
    expect(await codeOf(p)).toBe('aborted');
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 5));
    expect(closed).toBe(true);
  });

  it('finds out once that a server ignores n, then sends parallel requests', async () => {
    const s = await stub((body, _q, res) => streamTexts(res, [`s${String(body.seed)}`]));
    const client = await remote(s.url);
    const r = await client.completions.create({
      prompt: 'Q',
      n: 3,
      strategy: 'sample',
      seed: 9,
      max_tokens: 16,
    });
    expect(r.choices).toHaveLength(3);
    expect(client.remote?.capabilities.n).toBe(false);
    // One call asked for n = 3 and got one choice; the other two went out one by one.
    expect(s.calls.map((c) => c.body.n)).toEqual([3, 1, 1]);
    expect(new Set(r.choices.map((c) => c.text)).size).toBe(3);
    const again = await client.completions.create({
      prompt: 'Q',
      n: 2,
      strategy: 'sample',
      seed: 1,
      max_tokens: 8,
    });
    expect(again.choices).toHaveLength(2);
    expect(s.calls.slice(3).map((c) => c.body.n)).toEqual([1, 1]);
  });

  it('takes a refusal of n (llama-server answers n > 1 with a 500) as no n, without retrying it', async () => {
    const s = await stub((body, _q, res) => {
      if (body.n !== 1) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { code: 500, message: 'Only one completion choice is allowed', type: 'server_error' },
          }),
        );
      } else streamTexts(res, [`s${String(body.seed)}`]);
    });
    const client = await remote(s.url);
    const r = await client.completions.create({
      prompt: 'Q',
      n: 3,
      strategy: 'sample',
      seed: 4,
      max_tokens: 16,
    });
    expect(r.choices).toHaveLength(3);
    expect(client.remote?.capabilities.n).toBe(false);
    expect(s.calls.map((c) => c.body.n)).toEqual([3, 1, 1, 1]);
  });

  it('stops asking for logprobs once a server refuses them', async () => {
    const s = await stub((body, _q, res) => {
      if (body.logprobs !== undefined) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'logprobs is not supported', param: 'logprobs' } }));
      } else streamTexts(res, ['plain'], { logprobs: false });
    });
    const client = await remote(s.url);
    const r = await client.completions.create({ prompt: 'Q', max_tokens: 8 });
    expect(r.choices[0]?.text).toBe('plain');
    expect(client.remote?.capabilities.logprobs).toBe(false);
    expect(s.calls.map((c) => c.body.logprobs)).toEqual([1, undefined]);
  });
});

describe('retry and SSE helpers', () => {
  it('reads Retry-After as seconds or a date, and never waits less than it asks', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs('soon')).toBeUndefined();
    for (let attempt = 0; attempt < 6; attempt++) {
      const w = backoffMs(attempt, DEFAULT_RETRY, undefined, () => 0.999);
      expect(w).toBeLessThanOrEqual(Math.min(DEFAULT_RETRY.maxWaitMs, DEFAULT_RETRY.baseMs * 2 ** attempt));
      expect(backoffMs(attempt, DEFAULT_RETRY, 5000, () => 0)).toBe(5000);
    }
    expect(backoffMs(0, DEFAULT_RETRY, 10 ** 9)).toBe(DEFAULT_RETRY.maxWaitMs);
  });

  it('splits events across arbitrary chunk boundaries, CRLF included', async () => {
    const wire = 'data: {"a":1}\r\n\r\n: comment\n\ndata: x\ndata: y\n\ndata: [DONE]\n\n';
    for (const cut of [1, 2, 3, 5, 7, 13]) {
      const bytes = new TextEncoder().encode(wire);
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < bytes.length; i += cut) c.enqueue(bytes.slice(i, i + cut));
          c.close();
        },
      });
      const events: string[] = [];
      for await (const d of sseData(body)) events.push(d);
      expect(events, `cut ${cut}`).toEqual(['{"a":1}', 'x\ny', '[DONE]']);
    }
  });
});
