// MLCEngine: WebLLM's engine over Ruminate. Each loaded model is a Ruminate client (in a page,
// its engine runs in a Web Worker of its own); requests are WebLLM's, replies are WebLLM's with
// Ruminate's `ruminate` block, and `strategy`/`budget` run Ruminate's test-time compute.

import { createEngine, defaultEngine } from '@ruminate/controller';
import { RuminateError } from '@ruminate/errors';
import type { Engine, LoadOptions, LoadProgress } from '@ruminate/runtime';
import { chatOptionsOf, prebuiltAppConfig, resolveModel } from './app-config.ts';
import {
  type AppConfig,
  type ChatOptions,
  type InitProgressCallback,
  LOG_LEVELS,
  type LogLevel,
  type MLCEngineConfig,
  type MLCEngineInterface,
  type ResumeProbeResult,
  type ResumeResult,
} from './config-types.ts';
import { ModelSlot, type RequestControl } from './model-slot.ts';
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
import { StepTimer } from './step-timer.ts';

/** Ruminate's options of an MLCEngine (not WebLLM's): where its engines come from and how they load. */
export interface RuminateEngineOptions {
  /** Makes the runtime engine of each loaded model (default `defaultEngine()`: a Web Worker in a page, in-process in Node). */
  engine?: () => Engine | Promise<Engine>;
  /** Extra load options (backend, threads, …); `contextLength` comes from `context_window_size`. */
  load?: Omit<LoadOptions, 'onProgress' | 'signal'>;
}

let modelLibNoticeShown = false;

function unsupported(what: string, field: string): RuminateError {
  return new RuminateError(
    'unsupported-feature',
    `${what} is not supported by @ruminate/web-llm (see its README).`,
    {
      field,
    },
  );
}

/** A WebLLM progress report from a Ruminate load progress event. */
function progressReport(p: LoadProgress, startMs: number, url: string): Parameters<InitProgressCallback>[0] {
  const fraction = p.total ? Math.min(1, p.done / p.total) : 0;
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const amount =
    p.phase === 'download' || p.phase === 'upload'
      ? `${mb(p.done)}${p.total ? ` of ${mb(p.total)}` : ''}`
      : `${p.done}${p.total ? `/${p.total}` : ''}`;
  const timeElapsed = (performance.now() - startMs) / 1000;
  return {
    progress: fraction,
    timeElapsed,
    text: `Loading ${url}: ${p.phase} ${amount}, ${timeElapsed.toFixed(1)} s elapsed`,
  };
}

/** WebLLM's MLCEngine, served by Ruminate (see the package README for what differs). */
export class MLCEngine implements MLCEngineInterface {
  /** `engine.chat.completions.create(request)`. */
  readonly chat: MLCEngineInterface['chat'];
  /** `engine.completions.create(request)`. */
  readonly completions: MLCEngineInterface['completions'];
  /** `engine.embeddings.create(request)`: not supported (throws `unsupported-feature`). */
  readonly embeddings: MLCEngineInterface['embeddings'];
  private appConfig: AppConfig;
  private initProgressCallback: InitProgressCallback | undefined;
  private logLevel: LogLevel;
  private readonly slots = new Map<string, ModelSlot>();
  private readonly running = new Set<AbortController>();
  private reloadController: AbortController | undefined;

  constructor(
    engineConfig?: MLCEngineConfig,
    private readonly ruminate: RuminateEngineOptions = {},
  ) {
    this.appConfig = engineConfig?.appConfig ?? prebuiltAppConfig;
    this.initProgressCallback = engineConfig?.initProgressCallback;
    this.logLevel = engineConfig?.logLevel ?? 'WARN';
    if (engineConfig?.logitProcessorRegistry?.size)
      throw unsupported('logitProcessorRegistry', 'logitProcessorRegistry');
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

  private log(level: LogLevel, message: string): void {
    if (LOG_LEVELS[level] < LOG_LEVELS[this.logLevel]) return;
    if (level === 'ERROR') console.error(message);
    else if (level === 'WARN') console.warn(message);
    else console.info(message);
  }

  /** Sets the load progress callback. */
  setInitProgressCallback(initProgressCallback?: InitProgressCallback): void {
    this.initProgressCallback = initProgressCallback;
  }

  /** The load progress callback. */
  getInitProgressCallback(): InitProgressCallback | undefined {
    return this.initProgressCallback;
  }

  /** Replaces the models this engine knows. */
  setAppConfig(appConfig: AppConfig): void {
    this.appConfig = appConfig;
  }

  /** Sets how much this engine logs. */
  setLogLevel(logLevel: LogLevel): void {
    this.logLevel = logLevel;
  }

  /**
   * Loads one model, or several (`chatOpts[i]` for `modelId[i]`), replacing what was loaded. An id
   * is a `model_id` of the app config or (Ruminate) a GGUF URL; an unknown id fails with
   * `model-not-found` listing the ids there are.
   */
  async reload(modelId: string | string[], chatOpts?: ChatOptions | ChatOptions[]): Promise<void> {
    const ids = Array.isArray(modelId) ? modelId : [modelId];
    const opts = Array.isArray(chatOpts) ? chatOpts : ids.map(() => chatOpts);
    if (opts.length !== ids.length) {
      throw new RuminateError(
        'invalid-argument',
        `chatOpts has ${opts.length} entries for ${ids.length} model ids.`,
        {
          field: 'chatOpts',
        },
      );
    }
    if (new Set(ids).size !== ids.length) {
      throw new RuminateError('invalid-argument', 'modelId lists the same model twice.', {
        field: 'modelId',
      });
    }
    const resolved = ids.map((id) => resolveModel(id, this.appConfig));
    this.reloadController?.abort(new RuminateError('aborted', 'A newer reload() replaced this one.'));
    const ctrl = new AbortController();
    this.reloadController = ctrl;
    await this.unload();
    const startMs = performance.now();
    for (const [i, model] of resolved.entries()) {
      if (model.record.model_lib && !modelLibNoticeShown) {
        modelLibNoticeShown = true;
        this.log(
          'WARN',
          `@ruminate/web-llm: model_lib (${model.record.model_lib}) is not needed and is ignored: Ruminate generates its kernels for the GGUF in "model".`,
        );
      }
      const options = chatOptionsOf(model.record, opts[i]);
      if (options.sliding_window_size !== undefined && options.sliding_window_size !== -1) {
        this.log(
          'WARN',
          '@ruminate/web-llm: sliding_window_size is not supported and is ignored; the context is context_window_size.',
        );
      }
      const timer = new StepTimer(await (this.ruminate.engine ?? defaultEngine)());
      const load: LoadOptions = {
        ...this.ruminate.load,
        signal: ctrl.signal,
        onProgress: (p) => this.initProgressCallback?.(progressReport(p, startMs, model.url)),
      };
      if (typeof options.context_window_size === 'number' && options.context_window_size > 0) {
        load.contextLength = options.context_window_size;
      }
      const client = await createEngine({ engine: timer, model: model.url, load });
      const info = await client.info();
      if (!info)
        throw new RuminateError('not-loaded', `The engine reports no model after loading ${model.url}.`);
      this.slots.set(model.modelId, new ModelSlot(model, options, client, timer, info));
      this.initProgressCallback?.({
        progress: 1,
        timeElapsed: (performance.now() - startMs) / 1000,
        text: `Finish loading ${model.modelId} on ${info.backend ?? 'the device'} (${info.parameters.toLocaleString('en')} parameters, context ${info.contextLength})`,
      });
    }
    if (this.reloadController === ctrl) this.reloadController = undefined;
  }

  /** Unloads every model (their workers end). */
  async unload(): Promise<void> {
    this.interruptGenerate();
    const slots = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(slots.map((s) => s.client.unload()));
  }

  /** The model a request (or call) names, or the only one loaded. */
  private slotFor(model: string | null | undefined, requestName: string): ModelSlot {
    if (this.slots.size === 0) {
      throw new RuminateError(
        'not-loaded',
        `Model not loaded before ${requestName}. Call engine.reload(modelId) first, or create the engine with CreateMLCEngine(modelId).`,
      );
    }
    if (model !== undefined && model !== null) {
      const slot = this.slots.get(model);
      if (!slot) {
        throw new RuminateError(
          'unknown-model',
          `Model ${model} named by ${requestName} is not loaded. Loaded models: ${[...this.slots.keys()].join(', ')}.`,
          { field: 'model' },
        );
      }
      return slot;
    }
    if (this.slots.size > 1) {
      throw new RuminateError(
        'invalid-argument',
        `Several models are loaded (${[...this.slots.keys()].join(', ')}): name one in ${requestName}'s model field.`,
        { field: 'model' },
      );
    }
    return this.slots.values().next().value as ModelSlot;
  }

  /** A signal `interruptGenerate` aborts, for one request. */
  private control(): RequestControl {
    const ctrl = new AbortController();
    this.running.add(ctrl);
    return { signal: ctrl.signal, done: () => this.running.delete(ctrl) };
  }

  /** Stops the requests in flight: streams end with finish reason "abort", others reject with `aborted`. */
  interruptGenerate(): void {
    for (const c of this.running)
      c.abort(new RuminateError('aborted', 'interruptGenerate() stopped the request.'));
    this.running.clear();
  }

  /** A chat completion; see WebLLM's `chat.completions.create`. */
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
    const slot = this.slotFor(request.model, 'ChatCompletionRequest');
    return request.stream ? slot.chatStream(request, this.control()) : slot.chat(request, this.control());
  }

  /** A plain completion; see WebLLM's `completions.create`. */
  completion(request: CompletionCreateParamsNonStreaming): Promise<Completion>;
  completion(request: CompletionCreateParamsStreaming): Promise<AsyncIterable<Completion>>;
  completion(request: CompletionCreateParamsBase): Promise<AsyncIterable<Completion> | Completion>;
  completion(request: CompletionCreateParams): Promise<AsyncIterable<Completion> | Completion>;
  async completion(request: CompletionCreateParamsBase): Promise<AsyncIterable<Completion> | Completion> {
    const slot = this.slotFor(request.model, 'CompletionCreateParams');
    return request.stream
      ? slot.completeStream(request, this.control())
      : slot.complete(request, this.control());
  }

  /** Embeddings: not supported. */
  async embedding(_request: EmbeddingCreateParams): Promise<CreateEmbeddingResponse> {
    throw unsupported('Embeddings (embedding models)', 'embedding');
  }

  /** Resumable sessions: none are kept, so none are listed. */
  async listResumableSessions(): Promise<ResumeProbeResult[]> {
    return [];
  }

  /** Resumable sessions: not supported. */
  async resumeChatCompletion(_sessionId: string): Promise<ResumeResult | AsyncIterable<ChatCompletionChunk>> {
    throw unsupported('Resumable generation', 'sessionId');
  }

  /** Resumable sessions: none are kept, so there is nothing to delete. */
  async deleteResumableSession(_sessionId: string): Promise<void> {}

  /** The last reply's last choice. */
  async getMessage(modelId?: string): Promise<string> {
    return this.slotFor(modelId, 'getMessage').lastMessage;
  }

  /** The last request's prefill and decode speeds. */
  async runtimeStatsText(modelId?: string): Promise<string> {
    return this.slotFor(modelId, 'runtimeStatsText').runtimeStatsText();
  }

  /** Forgets the chat history, so the next request templates its messages from scratch. */
  async resetChat(keepStats = false, modelId?: string): Promise<void> {
    if (this.slots.size === 0) return; // WebLLM treats a reset before any load as a no-op
    await this.slotFor(modelId, 'resetChat').resetChat(keepStats);
  }

  /** Forwards `inputIds` and samples the next token (WebLLM's low-level API). */
  async forwardTokensAndSample(
    inputIds: Array<number>,
    isPrefill: boolean,
    modelId?: string,
  ): Promise<number> {
    return this.slotFor(modelId, 'forwardTokensAndSample').forwardTokensAndSample(inputIds, isPrefill);
  }

  private async adapter(): Promise<GPUAdapter> {
    const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
    const adapter = await gpu?.requestAdapter();
    if (!adapter) {
      throw new RuminateError(
        'webgpu-unavailable',
        'No WebGPU adapter here (Ruminate still runs, on its WebAssembly backend).',
      );
    }
    return adapter;
  }

  /** The WebGPU adapter's maxStorageBufferBindingSize. */
  async getMaxStorageBufferBindingSize(): Promise<number> {
    return (await this.adapter()).limits.maxStorageBufferBindingSize;
  }

  /** The WebGPU adapter's vendor, or "" when it reports none. */
  async getGPUVendor(): Promise<string> {
    return (await this.adapter()).info?.vendor ?? '';
  }
}

/** Creates an MLCEngine and loads `modelId` (one id or several; a GGUF URL works too). */
export async function CreateMLCEngine(
  modelId: string | string[],
  engineConfig?: MLCEngineConfig,
  chatOpts?: ChatOptions | ChatOptions[],
): Promise<MLCEngine> {
  const engine = new MLCEngine(engineConfig);
  engine.setLogLevel(engineConfig?.logLevel ?? 'WARN');
  await engine.reload(modelId, chatOpts);
  return engine;
}
