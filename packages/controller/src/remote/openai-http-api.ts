// A CompletionApi over an OpenAI-compatible HTTP server (vLLM, SGLang, llama.cpp's llama-server,
// `ruminate serve`), with `fetch`, so it runs in Node and in a page alike. Every call streams
// (SSE, `stream_options.include_usage`) and asks for log-probabilities. Text prompts go to
// `/completions` with the continuation appended; chat prompts go to `/chat/completions`, a
// continuation as a final assistant message with `continue_final_message` (vLLM's and
// `ruminate serve`'s field; llama-server prefills a final assistant message by itself).
//
// What a server supports is found out once and cached: `n` (a server that answers only choice 0
// gets n parallel calls from then on) and `logprobs` (a 400 naming them → asked no more; streamed
// pieces then count as tokens). Calls that fail before their stream starts — network errors, 408,
// 429, 5xx — are retried with jittered backoff, honouring `Retry-After`; a call has a timeout for
// its response headers and one for silence between chunks. Every failure is a RuminateError
// naming the server; a reply that is not JSON, lacks `choices` or ends without `data: [DONE]` is
// `remote-malformed`.

import { RuminateError, type RuminateErrorCode } from '@ruminate/errors';
import type {
  ApiFinishReason,
  ApiToken,
  CompletionApi,
  CompletionApiEvent,
  CompletionApiRequest,
} from '../generator/completion-api.ts';
import { mergeStreams } from './merge-streams.ts';
import {
  backoffMs,
  DEFAULT_RETRY,
  isRetryableStatus,
  type RetryPolicy,
  retryAfterMs,
  sleep,
} from './retry.ts';
import { sseData } from './sse.ts';

/** How to reach an OpenAI-compatible server. */
export interface RemoteOptions {
  /** The API's base URL, `/v1` included (`http://127.0.0.1:8080/v1`). */
  baseURL: string;
  /** Sent as `Authorization: Bearer …`. */
  apiKey?: string;
  /** Model name to request (default: the first one `GET /models` lists). */
  model?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Milliseconds to wait for a response's headers (default 60 000). */
  timeoutMs?: number;
  /** Milliseconds of silence allowed between streamed chunks (default 60 000). */
  idleTimeoutMs?: number;
  /** Retries of calls that fail before streaming (default 4 retries, 250 ms base, 30 s cap). */
  retry?: Partial<RetryPolicy>;
  /** The fetch to use (default globalThis.fetch). */
  fetch?: typeof fetch;
}

/** What the server was found to support (undefined: not known yet). */
export interface RemoteCapabilities {
  /** Several choices per call (`n`). */
  n: boolean | undefined;
  /** Per-token log-probabilities. */
  logprobs: boolean | undefined;
}

/** One parsed streamed chunk's choice (the fields read here, from either endpoint). */
interface WireChoice {
  index?: number;
  text?: string;
  delta?: { content?: string | null };
  finish_reason?: string | null;
  stop_reason?: string | number | null;
  logprobs?: {
    content?:
      | { token: string; logprob: number; top_logprobs?: { token: string; logprob: number }[] }[]
      | null;
    tokens?: string[];
    token_logprobs?: (number | null)[];
    top_logprobs?: (Record<string, number> | null)[] | null;
  } | null;
}

/** The CompletionApi over HTTP; see the file comment. */
export class OpenAIHttpApi implements CompletionApi {
  readonly name: string;
  /** What the server supports, as found so far. */
  readonly capabilities: RemoteCapabilities = { n: undefined, logprobs: undefined };
  private readonly base: string;
  private readonly opts: RemoteOptions;
  private readonly retry: RetryPolicy;
  private readonly fetchFn: typeof fetch;
  private model: string | undefined;

  constructor(opts: RemoteOptions) {
    if (typeof opts.baseURL !== 'string' || !/^https?:\/\//.test(opts.baseURL)) {
      throw new RuminateError(
        'invalid-argument',
        `remote.baseURL must be an http(s) URL (got ${JSON.stringify(opts.baseURL)}).`,
        {
          field: 'remote.baseURL',
        },
      );
    }
    this.base = opts.baseURL.replace(/\/+$/, '');
    this.name = this.base;
    this.opts = opts;
    this.model = opts.model;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The models the server lists (`GET /models`). */
  async models(signal?: AbortSignal): Promise<string[]> {
    const res = await this.send('GET', '/models', undefined, signal);
    const body = (await this.json(res)) as { data?: { id?: unknown }[] };
    if (!Array.isArray(body.data)) throw this.malformed('its /models reply has no data array');
    return body.data.map((m) => m.id).filter((id): id is string => typeof id === 'string');
  }

  /** The model requests name: the configured one, checked against the list, or the server's first. */
  async resolveModel(signal?: AbortSignal): Promise<string> {
    const listed = await this.models(signal);
    if (this.model !== undefined) {
      if (listed.length > 0 && !listed.includes(this.model)) {
        throw new RuminateError(
          'unknown-model',
          `${this.name} does not serve model "${this.model}" (it lists ${listed.join(', ')}).`,
          { field: 'remote.model' },
        );
      }
      return this.model;
    }
    const first = listed[0];
    if (first === undefined) throw this.malformed('it lists no models; pass remote.model');
    this.model = first;
    return first;
  }

  async *complete(req: CompletionApiRequest, signal: AbortSignal): AsyncIterable<CompletionApiEvent> {
    if (req.n === 1 || this.capabilities.n === true) {
      yield* this.call(req, 0, signal);
      return;
    }
    if (this.capabilities.n === false) {
      yield* this.fanOut(req, 0, signal);
      return;
    }
    // Not known yet: ask for n. Any choice past 0 shows the server honours it; a reply that
    // ends with choice 0 alone shows it ignored it, and the other choices are asked for one by one.
    try {
      for await (const ev of this.call(req, 0, signal)) {
        if (ev.type !== 'usage' && ev.index > 0) this.capabilities.n = true;
        yield ev;
      }
    } catch (e) {
      if (!(e instanceof RuminateError && refusesN(e))) throw e;
      this.capabilities.n = false;
      yield* this.fanOut(req, 0, signal);
      return;
    }
    if (this.capabilities.n === undefined && !signal.aborted) {
      this.capabilities.n = false;
      yield* this.fanOut(req, 1, signal);
    }
  }

  /** Choices `from`…n-1 as parallel calls of one choice each, seeds spread so they differ. */
  private fanOut(
    req: CompletionApiRequest,
    from: number,
    signal: AbortSignal,
  ): AsyncIterable<CompletionApiEvent> {
    const calls: AsyncIterable<CompletionApiEvent>[] = [];
    for (let i = from; i < req.n; i++) {
      const seed = req.sampling.seed === undefined ? undefined : (req.sampling.seed + i) >>> 0;
      const one: CompletionApiRequest = { ...req, n: 1, sampling: { ...req.sampling, seed } };
      calls.push(this.call(one, i, signal));
    }
    return mergeStreams(calls);
  }

  /** One streamed HTTP call; its choice indices are shifted by `offset`. */
  private async *call(
    req: CompletionApiRequest,
    offset: number,
    signal: AbortSignal,
  ): AsyncIterable<CompletionApiEvent> {
    const model = this.model ?? (await this.resolveModel(signal));
    const chat = 'messages' in req.prompt;
    const withLogprobs = this.capabilities.logprobs !== false;
    let res: Response;
    try {
      res = await this.send(
        'POST',
        chat ? '/chat/completions' : '/completions',
        this.body(req, model, withLogprobs),
        signal,
      );
    } catch (e) {
      if (withLogprobs && this.capabilities.logprobs === undefined && isLogprobsRefusal(e)) {
        this.capabilities.logprobs = false;
        yield* this.call(req, offset, signal);
        return;
      }
      throw e;
    }
    if (!res.body) throw this.malformed('its reply has no body');
    const idle = new AbortController();
    const onOuter = () => idle.abort(signal.reason);
    signal.addEventListener('abort', onOuter, { once: true });
    const idleMs = this.opts.idleTimeoutMs ?? 60_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new Error('idle')), idleMs);
    };
    let done = false;
    try {
      arm();
      for await (const data of sseData(res.body, idle.signal)) {
        arm();
        if (data.trim() === '[DONE]') {
          done = true;
          break;
        }
        yield* this.events(data, chat, offset);
      }
    } catch (e) {
      if (signal.aborted) throw e;
      if (idle.signal.aborted) throw this.timeout(`sent nothing for ${idleMs} ms mid-stream`);
      throw e instanceof RuminateError ? e : this.failed('broke off its stream', e);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onOuter);
    }
    if (signal.aborted) return;
    if (idle.signal.aborted) throw this.timeout(`sent nothing for ${idleMs} ms mid-stream`);
    if (!done) throw this.malformed('its stream ended without data: [DONE] (a truncated reply)');
  }

  /** The events of one streamed chunk. */
  private *events(data: string, chat: boolean, offset: number): Iterable<CompletionApiEvent> {
    let chunk: {
      choices?: WireChoice[];
      usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
      error?: { message?: string };
    };
    try {
      chunk = JSON.parse(data);
    } catch {
      throw this.malformed(`it streamed a chunk that is not JSON: ${data.slice(0, 80)}`);
    }
    if (chunk === null || typeof chunk !== 'object')
      throw this.malformed('it streamed a chunk that is not an object');
    if (chunk.error) throw this.failed(`reported an error mid-stream: ${chunk.error.message ?? 'unknown'}`);
    if (!Array.isArray(chunk.choices)) throw this.malformed('it streamed a chunk without a choices array');
    for (const c of chunk.choices) {
      const index = (typeof c.index === 'number' ? c.index : 0) + offset;
      for (const token of this.tokensOf(c, chat)) yield { type: 'token', index, token };
      if (c.finish_reason) yield { type: 'finish', index, reason: finishOf(c) };
    }
    const u = chunk.usage;
    if (u && typeof u.prompt_tokens === 'number') {
      yield { type: 'usage', promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens ?? 0 };
    }
  }

  /** A choice's tokens: one per log-probability entry, or the streamed piece as one token without them. */
  private tokensOf(c: WireChoice, chat: boolean): ApiToken[] {
    const text = chat ? (c.delta?.content ?? '') : (c.text ?? '');
    const lp = c.logprobs;
    if (chat && Array.isArray(lp?.content) && lp.content.length > 0) {
      this.capabilities.logprobs = true;
      return lp.content.map((t) => ({
        text: t.token,
        logprob: t.logprob,
        top: (t.top_logprobs ?? []).map((a) => ({ text: a.token, logprob: a.logprob })),
      }));
    }
    if (!chat && Array.isArray(lp?.tokens) && lp.tokens.length > 0) {
      this.capabilities.logprobs = true;
      return lp.tokens.map((t, i) => ({
        text: t,
        logprob: lp.token_logprobs?.[i] ?? Number.NaN,
        top: Object.entries(lp.top_logprobs?.[i] ?? {})
          .map(([k, v]) => ({ text: k, logprob: v }))
          .sort((a, b) => b.logprob - a.logprob),
      }));
    }
    return text === '' ? [] : [{ text, logprob: Number.NaN, top: [] }];
  }

  /** The request body (OpenAI fields, plus the common extensions only when set). */
  private body(req: CompletionApiRequest, model: string, logprobs: boolean): Record<string, unknown> {
    const s = req.sampling;
    const body: Record<string, unknown> = {
      model,
      n: req.n,
      max_tokens: req.maxTokens,
      temperature: s.temperature,
      stream: true,
      stream_options: { include_usage: true },
    };
    if (s.seed !== undefined) body.seed = s.seed;
    if (s.topP !== undefined) body.top_p = s.topP;
    if (s.topK !== undefined) body.top_k = s.topK;
    if (s.minP !== undefined) body.min_p = s.minP;
    if (s.frequencyPenalty !== undefined) body.frequency_penalty = s.frequencyPenalty;
    if (s.presencePenalty !== undefined) body.presence_penalty = s.presencePenalty;
    if (s.repetitionPenalty !== undefined) body.repetition_penalty = s.repetitionPenalty;
    if (req.stop.length > 0) body.stop = [...req.stop];
    if ('messages' in req.prompt) {
      body.messages =
        req.continuation === ''
          ? req.prompt.messages
          : [...req.prompt.messages, { role: 'assistant', content: req.continuation }];
      if (req.continuation !== '') {
        body.continue_final_message = true;
        body.add_generation_prompt = false;
      }
      if (logprobs) {
        body.logprobs = true;
        body.top_logprobs = req.topLogprobs;
      }
    } else {
      body.prompt = req.prompt.text + req.continuation;
      if (logprobs) body.logprobs = Math.max(1, req.topLogprobs);
    }
    return body;
  }

  /** Sends a request, retrying network errors, 408, 429 and 5xx; returns an ok response or throws. */
  private async send(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { ...this.opts.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    const timeoutMs = this.opts.timeoutMs ?? 60_000;
    for (let attempt = 0; ; attempt++) {
      const ctrl = new AbortController();
      const onOuter = () => ctrl.abort(signal?.reason);
      signal?.addEventListener('abort', onOuter, { once: true });
      if (signal?.aborted) onOuter();
      const timer = setTimeout(() => ctrl.abort(new Error('timeout')), timeoutMs);
      let res: Response | undefined;
      let failure: unknown;
      try {
        const init: RequestInit = { method, headers, signal: ctrl.signal };
        if (body !== undefined) init.body = JSON.stringify(body);
        res = await this.fetchFn(`${this.base}${path}`, init);
      } catch (e) {
        failure = e;
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onOuter);
      }
      if (signal?.aborted) {
        throw new RuminateError('aborted', `The call to ${this.name} was aborted.`, { cause: signal.reason });
      }
      if (res?.ok) {
        // The body still streams under ctrl's signal: keep the outer signal linked to it.
        signal?.addEventListener('abort', () => ctrl.abort(signal.reason), { once: true });
        return res;
      }
      const timedOut = failure !== undefined && ctrl.signal.aborted;
      const error = res ? await this.httpError(res, path) : undefined;
      // A refusal of the request itself (llama-server answers n > 1 with a 500) is not retried.
      const retryable = res ? isRetryableStatus(res.status) && !refusesN(error as RuminateError) : true;
      if (!retryable || attempt >= this.retry.retries) {
        if (error) throw error;
        if (timedOut) throw this.timeout(`sent no response headers within ${timeoutMs} ms`);
        throw this.failed(`could not be reached (${describe(failure)})`, failure);
      }
      const after = res ? retryAfterMs(res.headers.get('retry-after')) : undefined;
      await sleep(backoffMs(attempt, this.retry, after), signal).catch((reason: unknown) => {
        throw new RuminateError('aborted', `The call to ${this.name} was aborted.`, { cause: reason });
      });
    }
  }

  private async json(res: Response): Promise<unknown> {
    try {
      return await res.json();
    } catch (e) {
      throw this.malformed('its reply is not JSON', e);
    }
  }

  /** The RuminateError for a non-2xx reply, from OpenAI's `{ error: { message, param } }` when present. */
  private async httpError(res: Response, path: string): Promise<RuminateError> {
    let message = '';
    let param: string | undefined;
    try {
      const body = (await res.json()) as { error?: { message?: unknown; param?: unknown } | string };
      const err = body.error;
      if (typeof err === 'string') message = err;
      else if (err && typeof err.message === 'string') message = err.message;
      if (err && typeof err === 'object' && typeof err.param === 'string') param = err.param;
    } catch {
      // not JSON: the status says enough
    }
    const code: RuminateErrorCode =
      res.status === 400 || res.status === 422
        ? 'invalid-argument'
        : res.status === 401 || res.status === 403
          ? 'unauthorized'
          : res.status === 404
            ? 'unknown-model'
            : res.status === 413
              ? 'request-too-large'
              : 'remote-failed';
    const text = `${this.name}${path} answered ${res.status}${message ? `: ${message}` : ''}`;
    if (N_REFUSAL.test(message)) return new RuminateError('invalid-argument', `${text}.`, { field: 'n' });
    return new RuminateError(code, `${text}.`, param === undefined ? {} : { field: param });
  }

  private malformed(what: string, cause?: unknown): RuminateError {
    return new RuminateError('remote-malformed', `${this.name} sent a malformed reply: ${what}.`, { cause });
  }

  private failed(what: string, cause?: unknown): RuminateError {
    return new RuminateError('remote-failed', `${this.name} ${what}.`, { cause });
  }

  private timeout(what: string): RuminateError {
    return new RuminateError(
      'remote-timeout',
      `${this.name} ${what}; raise remote.timeoutMs / idleTimeoutMs or check the server.`,
    );
  }
}

/** The generator's finish reason for a wire choice (vLLM's `stop_reason` tells a stop string from EOS). */
function finishOf(c: WireChoice): ApiFinishReason {
  if (c.finish_reason === 'length') return 'length';
  return typeof c.stop_reason === 'string' ? 'stop' : 'eos';
}

/** How servers that draw one choice per request refuse `n` (llama-server: "Only one completion choice is allowed"). */
const N_REFUSAL = /only one (completion )?choice/i;

/** True when a failure is the server refusing `n` > 1. */
function refusesN(e: RuminateError): boolean {
  return e.code === 'invalid-argument' && e.field === 'n';
}

/** True for a 400 that names logprobs (a server that does not support them). */
function isLogprobsRefusal(e: unknown): boolean {
  return (
    e instanceof RuminateError &&
    e.code === 'invalid-argument' &&
    /logprob/i.test(`${e.field ?? ''} ${e.message}`)
  );
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: { code?: string } }).cause;
    return cause?.code ? `${e.message}: ${cause.code}` : e.message;
  }
  return String(e);
}
