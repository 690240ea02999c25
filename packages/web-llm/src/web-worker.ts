// WebLLM's worker pair over Ruminate. In the worker, WebWorkerMLCEngineHandler hosts an MLCEngine
// whose runtime engine runs in that same worker (no worker of its own); in the page,
// WebWorkerMLCEngine forwards every call to it and reads streams chunk by chunk.

import { RuminateError } from '@ruminate/errors';
import { AsyncQueue } from './async-queue.ts';
import type {
  AppConfig,
  ChatOptions,
  InitProgressCallback,
  LogLevel,
  MLCEngineConfig,
  MLCEngineInterface,
  ResumeProbeResult,
  ResumeResult,
} from './config-types.ts';
import { MLCEngine } from './mlc-engine.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionRequestBase,
  ChatCompletionRequestNonStreaming,
  ChatCompletionRequestStreaming,
  Completion,
  CompletionCreateParams,
  CompletionCreateParamsBase,
  CompletionCreateParamsNonStreaming,
  CompletionCreateParamsStreaming,
  CreateEmbeddingResponse,
  EmbeddingCreateParams,
} from './openai-types.ts';
import {
  type CallMethod,
  deserializeError,
  isWorkerRequest,
  newUuid,
  serializeError,
  type WorkerRequest,
  type WorkerResponse,
} from './worker-protocol.ts';

/** What the page talks to: a Worker, or anything with its two members. */
export interface ChatWorker {
  /** Set by the engine to receive the worker's messages. */
  onmessage: ((event: MessageEvent) => void) | null | ((event: never) => void);
  /** Sends a message to the worker. */
  postMessage: (message: unknown) => void;
}

/** The engine a handler hosts: its runtime engine in this same worker. */
async function inWorkerEngine() {
  const { RuminateEngine } = await import('@ruminate/runtime');
  return new RuminateEngine();
}

/** Serves a page's WebWorkerMLCEngine from inside a worker: `self.onmessage = (m) => handler.onmessage(m)`. */
export class WebWorkerMLCEngineHandler {
  /** The engine every request runs on. */
  readonly engine: MLCEngine;
  private readonly streams = new Map<string, AsyncIterator<unknown>>();

  constructor() {
    this.engine = new MLCEngine({}, { engine: inWorkerEngine });
  }

  /** Sends a message to the page (the worker's global postMessage). */
  postMessage(msg: WorkerResponse, _replyTo?: unknown): void {
    (globalThis as unknown as { postMessage(m: unknown): void }).postMessage(msg);
  }

  /** Handles one message from the page (a MessageEvent, or its data). */
  onmessage(
    event: MessageEvent | WorkerRequest,
    _onComplete?: (value: unknown) => void,
    _onError?: () => void,
  ): void {
    const msg = isWorkerRequest(event) ? event : (event as MessageEvent).data;
    if (!isWorkerRequest(msg)) return;
    this.handle(msg, isWorkerRequest(event) ? undefined : (event as MessageEvent).source);
  }

  /** Handles a request; answers go to `replyTo` (service workers) or the page. */
  protected handle(msg: WorkerRequest, replyTo?: unknown): void {
    const post = (m: WorkerResponse) => this.postMessage(m, replyTo);
    switch (msg.kind) {
      case 'keepAlive':
        post({ kind: 'heartbeat', uuid: msg.uuid });
        return;
      case 'cancel':
        void this.streams.get(msg.uuid)?.return?.();
        this.streams.delete(msg.uuid);
        return;
      case 'stream':
        void this.stream(msg.uuid, msg.method, msg.args[0], post);
        return;
      case 'call':
        void this.call(msg.uuid, msg.method, msg.args, post);
    }
  }

  private async call(uuid: string, method: CallMethod, args: unknown[], post: (m: WorkerResponse) => void) {
    try {
      if (method === 'reload') {
        const [modelId, chatOpts, appConfig] = args as [
          string | string[],
          ChatOptions | ChatOptions[] | undefined,
          AppConfig | undefined,
        ];
        if (appConfig) this.engine.setAppConfig(appConfig);
        this.engine.setInitProgressCallback((report) =>
          post({ kind: 'initProgressCallback', uuid, content: report }),
        );
        await this.engine.reload(modelId, chatOpts);
        post({ kind: 'return', uuid, content: null });
        return;
      }
      const fn = (this.engine as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
      if (typeof fn !== 'function')
        throw new RuminateError('invalid-argument', `Unknown engine method ${method}.`);
      const content = await fn.apply(this.engine, args);
      post({ kind: 'return', uuid, content: content ?? null });
    } catch (e) {
      post({ kind: 'throw', uuid, content: serializeError(e) });
    }
  }

  private async stream(
    uuid: string,
    method: 'chatCompletion' | 'completion',
    request: unknown,
    post: (m: WorkerResponse) => void,
  ) {
    try {
      const body = { ...(request as object), stream: true as const };
      const iterable = (
        method === 'chatCompletion'
          ? await this.engine.chatCompletion(body as ChatCompletionRequestStreaming)
          : await this.engine.completion(body as CompletionCreateParamsStreaming)
      ) as AsyncIterable<unknown>;
      const it = iterable[Symbol.asyncIterator]();
      this.streams.set(uuid, it);
      for (let r = await it.next(); !r.done; r = await it.next())
        post({ kind: 'chunk', uuid, content: r.value });
      post({ kind: 'return', uuid, content: null });
    } catch (e) {
      post({ kind: 'throw', uuid, content: serializeError(e) });
    } finally {
      this.streams.delete(uuid);
    }
  }
}

/** A pending call or stream on the page side. */
interface Pending {
  ok?: (v: unknown) => void;
  fail: (e: Error) => void;
  chunks?: AsyncQueue<unknown>;
  progress?: InitProgressCallback;
}

/** The page side: an MLCEngineInterface whose engine runs in `worker` (under a WebWorkerMLCEngineHandler). */
export class WebWorkerMLCEngine implements MLCEngineInterface {
  /** `engine.chat.completions.create(request)`. */
  readonly chat: MLCEngineInterface['chat'];
  /** `engine.completions.create(request)`. */
  readonly completions: MLCEngineInterface['completions'];
  /** `engine.embeddings.create(request)`: not supported. */
  readonly embeddings: MLCEngineInterface['embeddings'];
  /** Models loaded by the last reload. */
  modelId?: string[];
  private appConfig: AppConfig | undefined;
  private initProgressCallback: InitProgressCallback | undefined;
  private readonly pending = new Map<string, Pending>();

  constructor(
    readonly worker: ChatWorker,
    engineConfig?: MLCEngineConfig,
  ) {
    this.appConfig = engineConfig?.appConfig;
    this.initProgressCallback = engineConfig?.initProgressCallback;
    if (engineConfig?.logLevel) this.setLogLevel(engineConfig.logLevel);
    worker.onmessage = (event: MessageEvent) => this.onmessage(event);
    this.chat = {
      completions: {
        create: ((r: ChatCompletionRequestBase) =>
          this.chatCompletion(r)) as MLCEngineInterface['chat']['completions']['create'],
      },
    };
    this.completions = {
      create: ((r: CompletionCreateParamsBase) =>
        this.completion(r)) as MLCEngineInterface['completions']['create'],
    };
    this.embeddings = { create: (r: EmbeddingCreateParams) => this.embedding(r) };
  }

  /** Handles a message from the worker. */
  onmessage(event: MessageEvent | WorkerResponse): void {
    const msg = ('kind' in event ? event : (event as MessageEvent).data) as WorkerResponse;
    const p = msg && this.pending.get(msg.uuid);
    if (!p) return;
    switch (msg.kind) {
      case 'initProgressCallback':
        (p.progress ?? this.initProgressCallback)?.(msg.content as Parameters<InitProgressCallback>[0]);
        return;
      case 'chunk':
        p.chunks?.push(msg.content);
        return;
      case 'return':
        this.pending.delete(msg.uuid);
        if (p.chunks) p.chunks.end();
        else p.ok?.(msg.content);
        return;
      case 'throw': {
        this.pending.delete(msg.uuid);
        const e = deserializeError(msg.content);
        if (p.chunks) p.chunks.fail(e);
        else p.fail(e);
        return;
      }
      case 'heartbeat':
        this.pending.delete(msg.uuid);
        p.ok?.(undefined);
    }
  }

  /** Sends a call and waits for its answer. */
  protected call<T>(method: CallMethod, ...args: unknown[]): Promise<T> {
    const uuid = newUuid();
    return new Promise<T>((ok, fail) => {
      this.pending.set(uuid, { ok: ok as (v: unknown) => void, fail });
      this.worker.postMessage({ kind: 'call', uuid, method, args } satisfies WorkerRequest);
    });
  }

  /** Starts a stream; chunks arrive as they are made, and leaving the loop early cancels it. */
  private stream<C>(method: 'chatCompletion' | 'completion', request: unknown): AsyncIterable<C> {
    const uuid = newUuid();
    const chunks = new AsyncQueue<unknown>(() => {
      this.pending.delete(uuid);
      this.worker.postMessage({ kind: 'cancel', uuid } satisfies WorkerRequest);
    });
    this.pending.set(uuid, { fail: (e) => chunks.fail(e), chunks });
    this.worker.postMessage({ kind: 'stream', uuid, method, args: [request] } satisfies WorkerRequest);
    return chunks as AsyncIterable<C>;
  }

  /** Sets the load progress callback. */
  setInitProgressCallback(initProgressCallback?: InitProgressCallback): void {
    this.initProgressCallback = initProgressCallback;
  }
  /** The load progress callback. */
  getInitProgressCallback(): InitProgressCallback | undefined {
    return this.initProgressCallback;
  }
  /** Replaces the models the worker's engine knows (sent with the next reload). */
  setAppConfig(appConfig: AppConfig): void {
    this.appConfig = appConfig;
  }
  /** Sets the worker engine's log level. */
  setLogLevel(logLevel: LogLevel): void {
    void this.call('setLogLevel', logLevel);
  }
  /** Loads models in the worker; progress reaches this engine's callback. */
  async reload(modelId: string | string[], chatOpts?: ChatOptions | ChatOptions[]): Promise<void> {
    await this.call('reload', modelId, chatOpts, this.appConfig);
    this.modelId = Array.isArray(modelId) ? modelId : [modelId];
  }
  /** Unloads the worker's models. */
  unload(): Promise<void> {
    return this.call('unload');
  }
  /** Stops the worker's requests in flight. */
  interruptGenerate(): void {
    void this.call('interruptGenerate');
  }
  /** Forgets the chat history. */
  resetChat(keepStats?: boolean, modelId?: string): Promise<void> {
    return this.call('resetChat', keepStats, modelId);
  }
  /** The last reply's last choice. */
  getMessage(modelId?: string): Promise<string> {
    return this.call('getMessage', modelId);
  }
  /** The last request's speeds. */
  runtimeStatsText(modelId?: string): Promise<string> {
    return this.call('runtimeStatsText', modelId);
  }
  /** The worker's WebGPU adapter's maxStorageBufferBindingSize. */
  getMaxStorageBufferBindingSize(): Promise<number> {
    return this.call('getMaxStorageBufferBindingSize');
  }
  /** The worker's WebGPU adapter's vendor. */
  getGPUVendor(): Promise<string> {
    return this.call('getGPUVendor');
  }
  /** Forwards tokens and samples one (WebLLM's low-level API). */
  forwardTokensAndSample(inputIds: Array<number>, isPrefill: boolean, modelId?: string): Promise<number> {
    return this.call('forwardTokensAndSample', inputIds, isPrefill, modelId);
  }

  /** A chat completion, run in the worker. */
  chatCompletion(request: ChatCompletionRequestNonStreaming): Promise<ChatCompletion>;
  chatCompletion(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
  chatCompletion(
    request: ChatCompletionRequestBase,
  ): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
  chatCompletion(
    request: ChatCompletionRequest,
  ): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
  async chatCompletion(
    request: ChatCompletionRequestBase,
  ): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion> {
    if (request.stream) return this.stream<ChatCompletionChunk>('chatCompletion', request);
    return this.call<ChatCompletion>('chatCompletion', request);
  }

  /** A plain completion, run in the worker. */
  completion(request: CompletionCreateParamsNonStreaming): Promise<Completion>;
  completion(request: CompletionCreateParamsStreaming): Promise<AsyncIterable<Completion>>;
  completion(request: CompletionCreateParamsBase): Promise<AsyncIterable<Completion> | Completion>;
  completion(request: CompletionCreateParams): Promise<AsyncIterable<Completion> | Completion>;
  async completion(request: CompletionCreateParamsBase): Promise<AsyncIterable<Completion> | Completion> {
    if (request.stream) return this.stream<Completion>('completion', request);
    return this.call<Completion>('completion', request);
  }

  /** Embeddings: not supported. */
  embedding(request: EmbeddingCreateParams): Promise<CreateEmbeddingResponse> {
    return this.call('embedding', request);
  }
  /** Resumable sessions: none. */
  listResumableSessions(): Promise<ResumeProbeResult[]> {
    return this.call('listResumableSessions');
  }
  /** Resumable sessions: not supported. */
  resumeChatCompletion(sessionId: string): Promise<ResumeResult | AsyncIterable<ChatCompletionChunk>> {
    return this.call('resumeChatCompletion', sessionId);
  }
  /** Resumable sessions: nothing to delete. */
  deleteResumableSession(sessionId: string): Promise<void> {
    return this.call('deleteResumableSession', sessionId);
  }
}

/** Creates a WebWorkerMLCEngine over `worker` (running a WebWorkerMLCEngineHandler) and loads `modelId`. */
export async function CreateWebWorkerMLCEngine(
  worker: ChatWorker,
  modelId: string | string[],
  engineConfig?: MLCEngineConfig,
  chatOpts?: ChatOptions | ChatOptions[],
): Promise<WebWorkerMLCEngine> {
  const engine = new WebWorkerMLCEngine(worker, engineConfig);
  await engine.reload(modelId, chatOpts);
  return engine;
}
