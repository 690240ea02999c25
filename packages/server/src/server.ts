// `ruminate serve`'s HTTP layer: OpenAI's routes over a RuminateClient, on node:http (no
// framework: five routes, SSE and a body limit are a few lines each, and nothing else then runs in
// the hot path or needs auditing). Every request runs through the client's own
// `chat.completions.create` / `completions.create`, so the server adds transport and nothing else:
// fields are passed through as sent (Ruminate's `strategy`, `budget`, `verifier`, … and whatever
// the controller learns next), streamed chunks become `data:` events, failures become OpenAI's
// error JSON (openai-error.ts), a request is admitted only while the engine holds its sequences
// (admission.ts), and a client that goes away has its run aborted and its sequences freed.
// `close()` refuses new work (503) and resolves once the requests in flight have finished.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletionRequest, CompletionRequest, Plan, RuminateClient } from '@ruminate/controller';
import { RuminateError } from '@ruminate/errors';
import { Admission } from './admission.ts';
import { errorReply } from './openai-error.ts';
import { readJsonObject } from './read-json.ts';

/** How to serve a client. */
export interface ServerOptions {
  /** The client every request runs through (its engine should merge steps: StepCoalescer). */
  client: RuminateClient;
  /** The model name `/v1/models` lists and requests may name. */
  modelName: string;
  /** The vocabulary size (token-id prompts are checked against it). */
  vocabSize: number;
  /** What the engine holds: sequences at once, KV pages and tokens per page. */
  capacity: { sequences: number; pages: number; pageTokens: number };
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** When set, requests must send `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Largest request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Most samples one request may ask for (default 256). */
  maxSamples?: number;
  /**
   * Accept `{ tests }` verifiers, which run the client's JavaScript in this process's worker
   * threads (default false: `vm` limits runaway code but is no security boundary).
   */
  allowCodeVerifiers?: boolean;
  /**
   * `Access-Control-Allow-Origin` for pages on other origins (default "*": a page anywhere may
   * call it, with the API key as the guard; null sends no CORS headers).
   */
  corsOrigin?: string | null;
  /** Extra numbers for `/health` (the coalescer's). */
  health?: () => Record<string, unknown>;
  /** One line per request (default: none). */
  log?: (line: string) => void;
}

/** A running server. */
export interface RuminateServer {
  /** The API's base URL, `http://host:port/v1`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Refuses new work (503), waits for the requests in flight, and stops listening. */
  close(): Promise<void>;
}

/** Starts the server; see the file comment. */
export async function startServer(opts: ServerOptions): Promise<RuminateServer> {
  const host = opts.host ?? '127.0.0.1';
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  const admission = new Admission(opts.capacity);
  let closing = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const created = Math.floor(Date.now() / 1000);

  const cors = opts.corsOrigin === undefined ? '*' : opts.corsOrigin;
  const server: Server = createServer((req, res) => {
    const t0 = performance.now();
    if (cors !== null) {
      res.setHeader('access-control-allow-origin', cors);
      res.setHeader('access-control-expose-headers', 'retry-after');
      if (req.method === 'OPTIONS') {
        // The preflight of a page's JSON POST with an Authorization header.
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers':
            req.headers['access-control-request-headers'] ?? 'authorization, content-type',
          'access-control-max-age': '600',
        });
        res.end();
        return;
      }
    }
    inFlight++;
    handle(req, res)
      .catch((e: unknown) => sendError(res, e))
      .finally(() => {
        inFlight--;
        opts.log?.(`${req.method} ${req.url} ${res.statusCode} ${(performance.now() - t0).toFixed(0)} ms`);
        if (inFlight === 0) idle?.();
      });
  });
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (req.method === 'GET' && path === '/health') {
      const load = admission.load();
      return sendJson(res, closing ? 503 : 200, {
        status: closing ? 'closing' : 'ok',
        model: opts.modelName,
        ...load,
        ...opts.health?.(),
      });
    }
    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      throw new RuminateError('unauthorized', 'Missing or wrong API key: send Authorization: Bearer <key>.');
    }
    if (req.method === 'GET' && (path === '/v1/models' || path === `/v1/models/${opts.modelName}`)) {
      const model = { id: opts.modelName, object: 'model', created, owned_by: 'ruminate' };
      return sendJson(res, 200, path === '/v1/models' ? { object: 'list', data: [model] } : model);
    }
    const kind = path === '/v1/chat/completions' ? 'chat' : path === '/v1/completions' ? 'text' : undefined;
    if (kind === undefined || req.method !== 'POST') {
      throw new RuminateError(
        'not-found',
        `No route ${req.method} ${path}: this server answers POST /v1/chat/completions, POST /v1/completions, GET /v1/models and GET /health.`,
      );
    }
    if (closing) throw new RuminateError('server-closing', 'The server is shutting down; retry on another.');
    const body = await readJsonObject(req, maxBody);
    checkFields(body, kind);
    body.model = opts.modelName; // replies name the served model
    const plan = await opts.client.plan(body as unknown as ChatCompletionRequest & CompletionRequest);
    if (plan.n > (opts.maxSamples ?? 256)) {
      throw new RuminateError(
        'invalid-argument',
        `The request asks for ${plan.n} samples; this server allows ${opts.maxSamples ?? 256}.`,
        {
          field: 'strategy',
        },
      );
    }
    const release = admission.admit(reservationOf(plan, body, opts.capacity.pageTokens));
    const ctrl = new AbortController();
    // A write racing the client's disconnect fails on a closed socket: the run is aborted below.
    res.on('error', () => ctrl.abort(new Error('the connection failed')));
    res.on('close', () => {
      if (!res.writableFinished) ctrl.abort(new Error('the client disconnected'));
    });
    try {
      await run(kind, body, res, ctrl.signal);
    } finally {
      release();
    }
  }

  /** The fields the server checks itself (the controller validates the rest). */
  function checkFields(body: Record<string, unknown>, kind: 'chat' | 'text'): void {
    if (body.model !== undefined && body.model !== opts.modelName) {
      throw new RuminateError(
        'unknown-model',
        `The model "${String(body.model)}" does not exist here; this server serves "${opts.modelName}".`,
        {
          field: 'model',
        },
      );
    }
    if (kind === 'chat' && !Array.isArray(body.messages))
      throw bad('messages', 'must be an array of messages.');
    if (kind === 'text') {
      const p = body.prompt;
      const tokens = Array.isArray(p) && p.every((t) => Number.isInteger(t));
      if (typeof p !== 'string' && !tokens) throw bad('prompt', 'must be a string or an array of token ids.');
      if (tokens && (p as number[]).some((t) => t < 0 || t >= opts.vocabSize))
        throw bad('prompt', `token ids must be in [0, ${opts.vocabSize}).`);
    }
    for (const f of ['stream', 'echo'] as const) {
      if (body[f] !== undefined && typeof body[f] !== 'boolean') throw bad(f, 'must be true or false.');
    }
    for (const f of ['verifier', 'step_scorer'] as const) {
      const v = body[f];
      if (!opts.allowCodeVerifiers && v !== null && typeof v === 'object' && 'tests' in v) {
        throw bad(
          f,
          'with { tests } runs client code; this server was not started with --allow-code-verifiers.',
        );
      }
    }
    const so = body.stream_options;
    if (so !== undefined && (so === null || typeof so !== 'object'))
      throw bad('stream_options', 'must be an object.');
  }

  /** Runs one request and writes its reply (JSON, or SSE when streaming). */
  async function run(
    kind: 'chat' | 'text',
    body: Record<string, unknown>,
    res: ServerResponse,
    signal: AbortSignal,
  ) {
    const create =
      kind === 'chat'
        ? (b: unknown, s: AbortSignal) =>
            opts.client.chat.completions.create(b as ChatCompletionRequest, { signal: s })
        : (b: unknown, s: AbortSignal) =>
            opts.client.completions.create(b as CompletionRequest, { signal: s });
    if (body.stream !== true) {
      const reply = await create(body, signal);
      return sendJson(res, 200, reply);
    }
    const chunks = (await create(body, signal)) as AsyncIterable<Record<string, unknown>>;
    const includeUsage =
      (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    try {
      let corked = false;
      for await (const chunk of chunks) {
        if (signal.aborted) break;
        // The chunks one engine step produces (one per choice) leave in one write.
        if (!corked) {
          corked = true;
          res.cork();
          setImmediate(() => {
            corked = false;
            res.uncork();
          });
        }
        const usage = chunk.usage;
        res.write(`data: ${JSON.stringify({ ...chunk, usage: null })}\n\n`);
        // OpenAI sends usage, when asked for, in one last chunk with no choices.
        if (usage && includeUsage) {
          const { ruminate: _r, ...head } = chunk;
          res.write(`data: ${JSON.stringify({ ...head, choices: [], usage })}\n\n`);
        }
      }
      if (!signal.aborted) res.end('data: [DONE]\n\n');
    } catch (e) {
      // Headers are out: the error goes in the stream, and no [DONE] follows it.
      if (!signal.aborted) res.end(`data: ${JSON.stringify(errorReply(e).body)}\n\n`);
    }
  }

  function sendError(res: ServerResponse, e: unknown): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    const reply = errorReply(e);
    if (reply.status === 500)
      opts.log?.(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    // A refused body may still be arriving: close the connection rather than read it.
    if (reply.status === 413) reply.headers.connection = 'close';
    sendJson(res, reply.status, reply.body, reply.headers);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/v1`,
    port,
    async close() {
      closing = true;
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

/** The sequences and KV pages a planned request holds at once (its prompt estimated at 2 characters a token). */
function reservationOf(plan: Plan, body: Record<string, unknown>, pageTokens: number) {
  const promptChars = JSON.stringify(body.messages ?? body.prompt ?? '').length;
  const promptPages = Math.ceil(promptChars / 2 / pageTokens) + 1;
  const perSequence = Math.ceil(plan.maxTokens / pageTokens) + 1;
  return { sequences: plan.batchWidth + 1, pages: promptPages + plan.batchWidth * perSequence };
}

function bad(field: string, message: string): RuminateError {
  return new RuminateError('invalid-argument', `${field} ${message}`, { field });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
