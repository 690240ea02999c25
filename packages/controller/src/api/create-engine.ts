// createEngine: the public entry. An object shaped like the OpenAI client
// (`engine.chat.completions.create`, `engine.completions.create`) over any `Engine` — or over an
// OpenAI-compatible server (`{ remote }`) or another completions API (`{ api }`, e.g. WebLLM's engine), or the first usable of an ordered list of both
// (engine-fallback.ts) — plus `engine.plan(request)` and the raw engine. Streaming returns an async iterable of chunks: each
// candidate's deltas as they decode (`ruminate.candidate`, `ruminate.delta`; for greedy/sample
// also as ordinary `choices[].delta`), then one last chunk with the chosen answer(s), usage and
// the `ruminate` result.

import { RuminateError } from '@ruminate/errors';
import type { Engine, LoadOptions, ModelInfo, ModelSource } from '@ruminate/runtime';
import { type BatchOptions, type BatchPrompt, type BatchResult, runBatch } from '../batch/run-batch.ts';
import type { CompletionApi } from '../generator/completion-api.ts';
import { cachedDecodeSpeed, type MeasureOptions, type SpeedCache } from '../planner/measure.ts';
import type { DecodeSpeed, DeviceProfileLike, Plan } from '../planner/types.ts';
import { OpenAIHttpApi, type RemoteOptions } from '../remote/openai-http-api.ts';
import { ChunkQueue } from './chunk-queue.ts';
import { type EngineChoice, firstUsable } from './engine-fallback.ts';
import { fromChatRequest, fromCompletionRequest, type RunRequest, validateRunRequest } from './request.ts';
import {
  ChunkFactory,
  chatLogprob,
  extrasOf,
  lastChatDelta,
  textLogprobs,
  toChatCompletion,
  toCompletion,
  usageOf,
} from './response.ts';
import {
  isCompletionApi,
  type LogprobEntry,
  logprobEntries,
  planFor,
  type RunOptions,
  type RunResult,
  type RunTarget,
  resolveRequestStrategy,
  runStrategy,
} from './run-strategy.ts';
import { callableTools } from './tools.ts';
import type {
  CallOptions,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  Completion,
  CompletionChunk,
  CompletionRequest,
} from './types.ts';

/** Options of `createEngine`. */
export interface CreateEngineOptions {
  /** The model to load (skipped when the engine already has one and no model is given). */
  model?: ModelSource;
  /** The engine, or a factory for it (default: `defaultEngine()`, a dedicated Web Worker in a browser, in-process in Node). */
  engine?: Engine | (() => Engine | Promise<Engine>);
  /** Passed to `engine.load`. */
  load?: LoadOptions;
  /** Device profile (for speed estimates when measuring is off). */
  profile?: DeviceProfileLike;
  /** Measure decode speed for latency budgets (default true; cached per model and device). */
  measure?: boolean;
  /** Where measured speeds are kept (default in memory). */
  speedCache?: SpeedCache;
  /** Device name for the speed cache key. */
  device?: string;
  /** A loaded draft model with the same vocabulary: greedy requests use speculative decoding. */
  draft?: Engine;
  /** Draft tokens per target step (default 4). */
  gamma?: number;
  /**
   * Run on an OpenAI-compatible server instead (vLLM, llama-server, `ruminate serve`): the
   * strategies run here, their samples there. `model`, `engine`, `load` and `draft` are then unused.
   */
  remote?: RemoteOptions;
  /**
   * Run on this completions API instead (e.g. `fromWebLLM`'s adapter of a WebLLM engine): the
   * strategies run here, their samples there. `model`, `engine`, `load` and `draft` are then unused.
   */
  api?: CompletionApi;
}

/** Chat completions, OpenAI-shaped. */
export interface ChatCompletions {
  create(
    request: ChatCompletionRequest & { stream: true },
    options?: CallOptions,
  ): Promise<AsyncIterable<ChatCompletionChunk>>;
  create(request: ChatCompletionRequest & { stream?: false }, options?: CallOptions): Promise<ChatCompletion>;
  create(
    request: ChatCompletionRequest,
    options?: CallOptions,
  ): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>>;
}

/** Plain completions, OpenAI-shaped. */
export interface Completions {
  create(
    request: CompletionRequest & { stream: true },
    options?: CallOptions,
  ): Promise<AsyncIterable<CompletionChunk>>;
  create(request: CompletionRequest & { stream?: false }, options?: CallOptions): Promise<Completion>;
  create(
    request: CompletionRequest,
    options?: CallOptions,
  ): Promise<Completion | AsyncIterable<CompletionChunk>>;
}

/** What `createEngine` returns. */
export interface RuminateClient {
  /** `chat.completions.create(request, { signal })`. */
  readonly chat: { readonly completions: ChatCompletions };
  /** `completions.create(request, { signal })`. */
  readonly completions: Completions;
  /** The plan a request would run with (N, batch width, max tokens, expected ms), without running it. */
  plan(request: ChatCompletionRequest | CompletionRequest, options?: CallOptions): Promise<Plan>;
  /** Runs a canonical request (what the CLI uses). */
  run(request: RunRequest, options?: RunOptions): Promise<RunResult>;
  /** Many prompts under one token budget, spent by estimated difficulty (compute-optimal) or evenly. */
  batch(prompts: readonly BatchPrompt[], options: BatchOptions, call?: CallOptions): Promise<BatchResult>;
  /** Decode speed at 1, 4 and 16 parallel sequences (measured once, then cached). */
  measureSpeed(options?: MeasureOptions): Promise<DecodeSpeed>;
  /** The loaded model (undefined on a remote engine: see `remote`). */
  info(): Promise<ModelInfo | undefined>;
  /** The underlying engine (undefined on a remote engine). */
  readonly engine: Engine | undefined;
  /** The server a remote engine runs on, with what it was found to support. */
  readonly remote: OpenAIHttpApi | undefined;
  /** Which engine was chosen (with a list of options: the first usable one) and why. */
  readonly chosen: EngineChoice;
  /** Frees the model (a remote engine holds nothing). */
  unload(): Promise<void>;
}

/**
 * The runtime's engine for this environment. In a browser (a page, or a worker of one) the engine
 * runs in a dedicated Web Worker of its own (`createWorkerEngine` from `@ruminate/runtime/worker`),
 * so a model never runs on the page's main thread; the client's `unload()` ends that worker. In
 * Node (the CLI, tests) there is no page to block: the engine runs in-process.
 */
export async function defaultEngine(): Promise<Engine> {
  const inNode =
    typeof process !== 'undefined' &&
    typeof process.versions?.node === 'string' &&
    typeof window === 'undefined';
  if (inNode) {
    const runtime = await import('@ruminate/runtime');
    return new runtime.RuminateEngine();
  }
  const { createWorkerEngine } = await import('@ruminate/runtime/worker');
  return createWorkerEngine({ shared: false, closeOnUnload: true }).engine;
}

/**
 * Creates the engine: loads the model (or reaches the remote server) and returns the
 * OpenAI-shaped client. Given a list, takes the first entry whose load succeeds (the load checks
 * that the model fits the device before downloading it) and reports the choice in `chosen`.
 */
export async function createEngine(
  options: CreateEngineOptions | readonly CreateEngineOptions[],
): Promise<RuminateClient> {
  if (!isOptionList(options)) {
    const target = await openTarget(options);
    return clientOver(target, options, {
      index: 0,
      kind: options.remote || options.api ? 'remote' : 'local',
      name: await targetName(target),
      reason: 'the only engine given',
      rejected: [],
    });
  }
  const { value, choice } = await firstUsable(options, openTarget, targetName);
  return clientOver(value, options[choice.index] as CreateEngineOptions, choice);
}

/** Reads queued chunk promises in order (closing the reader closes the queue, which cancels the run). */
async function* inOrder<C>(queue: AsyncIterable<Promise<C>>): AsyncIterable<C> {
  for await (const chunk of queue) yield await chunk;
}

function isOptionList(
  o: CreateEngineOptions | readonly CreateEngineOptions[],
): o is readonly CreateEngineOptions[] {
  return Array.isArray(o);
}

/** Loads an entry's engine, or reaches its server (checking that it serves the model). */
async function openTarget(options: CreateEngineOptions): Promise<RunTarget> {
  if (options.remote) {
    const api = new OpenAIHttpApi(options.remote);
    await api.resolveModel();
    return api;
  }
  if (options.api) return options.api;
  const engine =
    typeof options.engine === 'function'
      ? await options.engine()
      : (options.engine ?? (await defaultEngine()));
  if (options.model !== undefined) await engine.load(options.model, options.load);
  else if (!(await engine.info())) {
    throw new RuminateError('not-loaded', 'No model is loaded; pass { model } to createEngine.', {
      field: 'model',
    });
  }
  return engine;
}

async function targetName(target: RunTarget): Promise<string> {
  if (target instanceof OpenAIHttpApi) return `${target.name} (${await target.resolveModel()})`;
  if (isCompletionApi(target)) return target.name;
  return (await (target as Engine).info())?.name ?? 'ruminate';
}

/** The client over a loaded engine or a reached server. */
function clientOver(target: RunTarget, options: CreateEngineOptions, chosen: EngineChoice): RuminateClient {
  const remote = target instanceof OpenAIHttpApi ? target : undefined;
  const engine = isCompletionApi(target) ? undefined : target;
  const runOpts = (call?: CallOptions): RunOptions => {
    const o: RunOptions = {};
    if (call?.signal) o.signal = call.signal;
    if (options.profile) o.profile = options.profile;
    if (options.measure !== undefined) o.measure = options.measure;
    if (options.speedCache) o.speedCache = options.speedCache;
    if (options.device) o.device = options.device;
    if (options.draft) o.draft = options.draft;
    if (options.gamma !== undefined) o.gamma = options.gamma;
    return o;
  };
  const modelName = async (req: { model?: string }) =>
    req.model ??
    (remote
      ? await remote.resolveModel()
      : engine
        ? (await engine.info())?.name
        : (target as CompletionApi).name) ??
    'ruminate';

  /** Runs `req` streaming: deltas become chunks, the result the last chunk. */
  function stream<C>(
    req: RunRequest,
    call: CallOptions | undefined,
    make: {
      delta: (
        index: number | undefined,
        candidate: number,
        parent: number | null,
        delta: string,
        first: boolean,
        logprobs: LogprobEntry[] | null,
      ) => C;
      last: (r: RunResult) => C;
    },
    /** Send the choices' text only in the last chunk (tool calls are known only once a candidate ends). */
    holdText = false,
  ): AsyncIterable<C> {
    // Bad parameters reject `create` itself (as OpenAI's client does), not the first chunk.
    validateRunRequest(req);
    const ctrl = new AbortController();
    const onOuter = () => ctrl.abort(call?.signal?.reason);
    if (call?.signal?.aborted) ctrl.abort(call.signal.reason);
    call?.signal?.addEventListener('abort', onOuter, { once: true });
    // Chunks are queued as promises (a delta's log-probabilities need its tokens' texts) and read in order.
    const queue = new ChunkQueue<Promise<C>>(() => ctrl.abort(new Error('stream closed by the reader')));
    const direct = !holdText && ['greedy', 'sample'].includes(resolveRequestStrategy(req).definition.name);
    const top = direct && req.logprobs ? (req.topLogprobs ?? 0) : -1;
    const reported = new Map<number, number>(); // candidates that streamed already → tokens reported
    const opts = runOpts(call);
    opts.signal = ctrl.signal;
    opts.onDelta = (c, d, detokenize) => {
      const first = !reported.has(c.id);
      const from = reported.get(c.id) ?? 0;
      const to = c.tokens?.length ?? 0;
      reported.set(c.id, to);
      const index = direct ? c.id - 1 : undefined;
      const entries =
        top >= 0 && detokenize && c.tokens && c.logprobs && c.topLogprobs
          ? logprobEntries(
              detokenize,
              { tokens: c.tokens, logprobs: c.logprobs, topLogprobs: c.topLogprobs },
              top,
              from,
              to,
            )
          : Promise.resolve(null);
      queue.push(entries.then((l) => make.delta(index, c.id, c.parent, d, first, l)));
    };
    runStrategy(target, req, opts)
      .then(
        (r) => {
          queue.push(Promise.resolve(make.last(r)));
          queue.end();
        },
        (e: unknown) => queue.end(e),
      )
      .finally(() => call?.signal?.removeEventListener('abort', onOuter));
    return inOrder(queue);
  }

  const chatCreate = async (request: ChatCompletionRequest, call?: CallOptions) => {
    const req = fromChatRequest(request);
    const model = await modelName(request);
    if (!request.stream) return toChatCompletion(await runStrategy(target, req, runOpts(call)), model);
    const f = new ChunkFactory(model, 'chatcmpl');
    const toolCalling = callableTools(req.tools, req.toolChoice).length > 0;
    const direct = !toolCalling && ['greedy', 'sample'].includes(resolveRequestStrategy(req).definition.name);
    return stream<ChatCompletionChunk>(
      req,
      call,
      {
        delta: (index, candidate, parent, delta, first, logprobs) =>
          f.chat(
            index === undefined
              ? []
              : [
                  {
                    index,
                    delta: first ? { role: 'assistant', content: delta } : { content: delta },
                    logprobs: logprobs && { content: logprobs.map(chatLogprob) },
                    finish_reason: null,
                  },
                ],
            { ruminate: { candidate, parent, delta } },
          ),
        last: (r) =>
          f.chat(
            r.choices.map((c, index) => ({
              index,
              delta: direct ? {} : lastChatDelta(c),
              logprobs: null,
              finish_reason: c.finishReason,
            })),
            { usage: usageOf(r), ruminate: extrasOf(r) },
          ),
      },
      toolCalling,
    );
  };

  const textCreate = async (request: CompletionRequest, call?: CallOptions) => {
    const req = fromCompletionRequest(request);
    const model = await modelName(request);
    if (!request.stream) {
      return toCompletion(
        await runStrategy(target, req, runOpts(call)),
        model,
        request.echo && typeof request.prompt === 'string' ? request.prompt : undefined,
      );
    }
    const f = new ChunkFactory(model, 'cmpl');
    return stream<CompletionChunk>(req, call, {
      delta: (index, candidate, parent, delta, _first, logprobs) =>
        f.text(
          index === undefined
            ? []
            : [{ index, text: delta, logprobs: logprobs && textLogprobs(logprobs), finish_reason: null }],
          { ruminate: { candidate, parent, delta } },
        ),
      last: (r) =>
        f.text(
          r.choices.map((c, index) => ({
            index,
            text: r.plan.strategy === 'greedy' || r.plan.strategy === 'sample' ? '' : c.text,
            logprobs: null,
            finish_reason: c.finishReason,
          })),
          { usage: usageOf(r), ruminate: extrasOf(r) },
        ),
    });
  };

  return {
    engine,
    chat: { completions: { create: chatCreate as ChatCompletions['create'] } },
    completions: { create: textCreate as Completions['create'] },
    plan: (request, call) =>
      planFor(
        target,
        'messages' in request ? fromChatRequest(request) : fromCompletionRequest(request),
        runOpts(call),
      ),
    run: (request, opts) => runStrategy(target, request, { ...runOpts(), ...opts }),
    batch: async (prompts, opts, call) => {
      if (!engine) {
        throw new RuminateError(
          'invalid-argument',
          `batch runs on a local engine; ${remote?.name} is remote.`,
        );
      }
      return runBatch(engine, prompts, opts, runOpts(call));
    },
    remote,
    chosen,
    measureSpeed: async (opts) => {
      if (!engine) {
        throw new RuminateError(
          'invalid-argument',
          `Decode speed is measured on a local engine; ${(target as CompletionApi).name} is not one.`,
        );
      }
      const o: Parameters<typeof cachedDecodeSpeed>[1] = { ...opts };
      if (options.speedCache) o.cache = options.speedCache;
      if (options.device) o.device = options.device;
      return cachedDecodeSpeed(engine, o);
    },
    info: async () => engine?.info(),
    unload: async () => engine?.unload(),
  };
}
