// WebLLM's configuration and engine types (@mlc-ai/web-llm 0.2.86: src/config.ts, src/types.ts),
// as this package reads them. A model record's `model` is a GGUF URL here; `model_lib` is not
// needed (Ruminate generates its kernels) and is ignored.

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

/** Progress of `reload`, as WebLLM reports it. */
export interface InitProgressReport {
  /** 0 to 1. */
  progress: number;
  /** Seconds since the load began. */
  timeElapsed: number;
  /** A line for people. */
  text: string;
}

/** Receives load progress. */
export type InitProgressCallback = (report: InitProgressReport) => void;

/** WebLLM's log levels. */
export const LOG_LEVELS = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, SILENT: 5 } as const;

/** A log level name. */
export type LogLevel = keyof typeof LOG_LEVELS;

/** What kind of model a record is (only LLM is served here). */
export enum ModelType {
  LLM = 0,
  embedding = 1,
  VLM = 2,
}

/** Overrides of a model's chat configuration (WebLLM's `mlc-chat-config.json` fields). */
export interface ChatOptions {
  /** KV-cache context to reserve (Ruminate: the engine's `contextLength`). */
  context_window_size?: number;
  /** Sliding-window attention (not supported: ignored with a notice). */
  sliding_window_size?: number;
  /** Attention sink size (not supported: ignored). */
  attention_sink_size?: number;
  /** Default sampling, used where a request leaves the field out. */
  temperature?: number;
  top_p?: number;
  repetition_penalty?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  /** Other WebLLM fields (conv_template, tokenizer_files, …) are accepted and ignored: GGUF carries them. */
  [field: string]: unknown;
}

/** One model an app can load. */
export interface ModelRecord {
  /** URL of the model: here a GGUF file (or the first part of a split GGUF). */
  model: string;
  /** The id apps pass to `CreateMLCEngine`/`reload`. */
  model_id: string;
  /** WebLLM's compiled model library: not needed by Ruminate, ignored (one notice). */
  model_lib: string;
  /** Chat option overrides for this model. */
  overrides?: ChatOptions;
  vram_required_MB?: number;
  low_resource_required?: boolean;
  buffer_size_required_bytes?: number;
  required_features?: Array<string>;
  model_type?: ModelType;
  integrity?: unknown;
  model_manifest?: string;
}

/** Where WebLLM caches model files (Ruminate: its own cache; accepted and ignored). */
export type CacheBackend = 'cache' | 'indexeddb' | 'cross-origin' | 'opfs';

/** The models an engine can load. */
export interface AppConfig {
  model_list: Array<ModelRecord>;
  cacheBackend?: CacheBackend;
  opfsAccessMode?: 'async' | 'sync' | 'auto';
}

/** Options of an engine. */
export interface MLCEngineConfig {
  /** The models this engine knows (default `prebuiltAppConfig`). */
  appConfig?: AppConfig;
  /** Receives load progress. */
  initProgressCallback?: InitProgressCallback;
  /** Logit processors (not supported: a Ruminate strategy never sees logits). */
  logitProcessorRegistry?: Map<string, unknown>;
  /** How much to log (default WARN). */
  logLevel?: LogLevel;
}

/** A resumable generation session (not supported: none are ever listed). */
export interface ResumeProbeResult {
  sessionId: string;
  resumable: boolean;
  reason?: string;
  modelId: string;
  emittedTokens: number;
  processedSeqLen: number;
  recoveryMode: 'kv' | 'token_replay' | 'text_only' | 'none';
}

/** A resumed generation (never produced here). */
export interface ResumeResult {
  sessionId: string;
  recoveredText: string;
  emittedTokens: number;
  processedSeqLen: number;
  replayedTokens: number;
  recoveryMode: 'kv' | 'token_replay' | 'text_only';
}

/** Options of `resumeChatCompletion`. */
export interface ResumeChatCompletionOptions {
  continueGeneration?: boolean;
  stream?: boolean;
}

/** `engine.chat.completions`. */
export interface ChatCompletionsApi {
  create(request: ChatCompletionRequestNonStreaming): Promise<ChatCompletion>;
  create(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
  create(request: ChatCompletionRequestBase): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
}

/** `engine.completions`. */
export interface CompletionsApi {
  create(request: CompletionCreateParamsNonStreaming): Promise<Completion>;
  create(request: CompletionCreateParamsStreaming): Promise<AsyncIterable<Completion>>;
  create(request: CompletionCreateParamsBase): Promise<AsyncIterable<Completion> | Completion>;
}

/** `engine.embeddings`. */
export interface EmbeddingsApi {
  create(request: EmbeddingCreateParams): Promise<CreateEmbeddingResponse>;
}

/** What every engine of this package offers: WebLLM's `MLCEngineInterface`. */
export interface MLCEngineInterface {
  chat: { completions: ChatCompletionsApi };
  completions: CompletionsApi;
  embeddings: EmbeddingsApi;
  setInitProgressCallback: (initProgressCallback: InitProgressCallback) => void;
  getInitProgressCallback: () => InitProgressCallback | undefined;
  setAppConfig: (appConfig: AppConfig) => void;
  reload: (modelId: string | string[], chatOpts?: ChatOptions | ChatOptions[]) => Promise<void>;
  chatCompletion(request: ChatCompletionRequestNonStreaming): Promise<ChatCompletion>;
  chatCompletion(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
  chatCompletion(
    request: ChatCompletionRequestBase,
  ): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
  chatCompletion(
    request: ChatCompletionRequest,
  ): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
  completion(request: CompletionCreateParamsNonStreaming): Promise<Completion>;
  completion(request: CompletionCreateParamsStreaming): Promise<AsyncIterable<Completion>>;
  completion(request: CompletionCreateParamsBase): Promise<AsyncIterable<Completion> | Completion>;
  completion(request: CompletionCreateParams): Promise<AsyncIterable<Completion> | Completion>;
  embedding(request: EmbeddingCreateParams): Promise<CreateEmbeddingResponse>;
  listResumableSessions(): Promise<ResumeProbeResult[]>;
  resumeChatCompletion(
    sessionId: string,
    options?: ResumeChatCompletionOptions,
  ): Promise<ResumeResult | AsyncIterable<ChatCompletionChunk>>;
  deleteResumableSession(sessionId: string): Promise<void>;
  runtimeStatsText: (modelId?: string) => Promise<string>;
  interruptGenerate: () => void;
  unload: () => Promise<void>;
  resetChat: (keepStats?: boolean, modelId?: string) => Promise<void>;
  getMessage: (modelId?: string) => Promise<string>;
  getMaxStorageBufferBindingSize(): Promise<number>;
  getGPUVendor(): Promise<string>;
  forwardTokensAndSample(inputIds: Array<number>, isPrefill: boolean, modelId?: string): Promise<number>;
  setLogLevel(logLevel: LogLevel): void;
}
