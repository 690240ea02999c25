// WebLLM's OpenAI-style request and reply shapes (@mlc-ai/web-llm 0.2.86,
// src/openai_api_protocols/), written out here so that an app's code typechecks against this
// package unchanged; test/webllm-types.test-d.ts checks them against WebLLM's own declarations.
// Ruminate's additions are marked: `strategy`, `budget` (and the other test-time-compute
// fields) on requests, `ruminate` on replies.

import type { Budget, RuminateExtras, StrategySpec, VerifierSpec } from '@ruminate/controller';

/** Ruminate's test-time-compute fields, accepted on every request (not WebLLM's). */
export interface RuminateRequestFields {
  /** Ruminate: test-time compute, `name[@samples]` (`'sc@8'`) or an object. */
  strategy?: StrategySpec;
  /** Ruminate: latency (ms) or token budget for the strategy. */
  budget?: Budget;
  /** Ruminate: outcome verifier for best-of-N and weighted voting. */
  verifier?: VerifierSpec;
  /** Ruminate: keep the k most likely tokens. */
  top_k?: number;
  /** Ruminate: drop tokens below min_p × the top probability. */
  min_p?: number;
}

/** Streaming options. */
export interface ChatCompletionStreamOptions {
  /** Send one more chunk after the last, with `usage` and no choices. */
  include_usage?: boolean;
}

/** A text part of a user message. */
export interface ChatCompletionContentPartText {
  text: string;
  type: 'text';
}

/** An image part of a user message (vision models; not supported by Ruminate). */
export interface ChatCompletionContentPartImage {
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
  type: 'image_url';
}

/** An audio part of a user message (not supported by Ruminate). */
export interface ChatCompletionContentPartInputAudio {
  input_audio:
    | { data: string; format: 'wav' }
    | { data: Float32Array; format: 'pcm_f32'; sample_rate: number };
  type: 'input_audio';
}

/** One part of a user message. */
export type ChatCompletionContentPart =
  | ChatCompletionContentPartText
  | ChatCompletionContentPartImage
  | ChatCompletionContentPartInputAudio;

/** A tool call the assistant made. */
export interface ChatCompletionMessageToolCall {
  id: string;
  function: { arguments: string; name: string };
  type: 'function';
}

/** The system prompt (first message only). */
export interface ChatCompletionSystemMessageParam {
  content: string;
  role: 'system';
}

/** A user turn. */
export interface ChatCompletionUserMessageParam {
  content: string | Array<ChatCompletionContentPart>;
  role: 'user';
  name?: string;
}

/** An assistant turn of the history. */
export interface ChatCompletionAssistantMessageParam {
  role: 'assistant';
  content?: string | null;
  name?: string;
  tool_calls?: Array<ChatCompletionMessageToolCall>;
}

/** A tool's result. */
export interface ChatCompletionToolMessageParam {
  content: string;
  role: 'tool';
  tool_call_id: string;
}

/** One message of a chat request. */
export type ChatCompletionMessageParam =
  | ChatCompletionSystemMessageParam
  | ChatCompletionUserMessageParam
  | ChatCompletionAssistantMessageParam
  | ChatCompletionToolMessageParam;

/** A function the model may call. */
export interface ChatCompletionTool {
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
  type: 'function';
}

/** Which tool to call. */
export type ChatCompletionToolChoiceOption =
  | 'none'
  | 'auto'
  | { function: { name: string }; type: 'function' };

/**
 * WebLLM's `response_format`: `json_object` (with an optional JSON Schema as a string), an
 * EBNF `grammar`, or a structural tag.
 */
export interface ResponseFormat {
  type?: 'text' | 'json_object' | 'grammar' | 'structural_tag';
  /** JSON Schema, as a JSON string (with `type: 'json_object'`). */
  schema?: string;
  /** EBNF grammar (with `type: 'grammar'`). */
  grammar?: string;
  /** Structural tag (not supported by Ruminate). */
  structural_tag?: unknown;
}

/** Fields of a chat request, streaming or not. */
export interface ChatCompletionRequestBase extends RuminateRequestFields {
  messages: Array<ChatCompletionMessageParam>;
  stream?: boolean | null;
  stream_options?: ChatCompletionStreamOptions | null;
  n?: number | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  repetition_penalty?: number | null;
  max_tokens?: number | null;
  stop?: string | null | Array<string>;
  temperature?: number | null;
  top_p?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  seed?: number | null;
  tool_choice?: ChatCompletionToolChoiceOption;
  tools?: Array<ChatCompletionTool>;
  response_format?: ResponseFormat;
  ignore_eos?: boolean;
  model?: string | null;
  extra_body?: {
    enable_thinking?: boolean | null;
    enable_latency_breakdown?: boolean | null;
    resumable?: unknown;
  };
}

/** A chat request answered with one reply. */
export interface ChatCompletionRequestNonStreaming extends ChatCompletionRequestBase {
  stream?: false | null;
}

/** A chat request answered with a stream of chunks. */
export interface ChatCompletionRequestStreaming extends ChatCompletionRequestBase {
  stream: true;
}

/** A chat request. */
export type ChatCompletionRequest = ChatCompletionRequestNonStreaming | ChatCompletionRequestStreaming;

/** One alternative at a position. */
export interface TopLogprob {
  token: string;
  bytes: Array<number> | null;
  logprob: number;
}

/** One generated token's log-probability, with alternatives. */
export interface ChatCompletionTokenLogprob extends TopLogprob {
  top_logprobs: Array<TopLogprob>;
}

/** Why a choice ended. */
export type ChatCompletionFinishReason = 'stop' | 'length' | 'tool_calls' | 'abort';

/** Per-token times of each stage of sampling (WebLLM's `enable_latency_breakdown`; never filled here). */
export interface LatencyBreakdown {
  logitProcessorTime: number[];
  logitBiasTime: number[];
  penaltyTime: number[];
  sampleTime: number[];
  totalTime: number[];
  grammarBitmaskTime: number[];
}

/** Token counts and speeds of a request. */
export interface CompletionUsage {
  completion_tokens: number;
  prompt_tokens: number;
  total_tokens: number;
  extra: {
    e2e_latency_s: number;
    prefill_tokens_per_s: number;
    decode_tokens_per_s: number;
    time_to_first_token_s: number;
    time_per_output_token_s: number;
    grammar_init_s?: number;
    grammar_per_token_s?: number;
    latencyBreakdown?: LatencyBreakdown;
  };
}

/** The assistant's reply in a choice. */
export interface ChatCompletionMessage {
  content: string | null;
  role: 'assistant';
  tool_calls?: Array<ChatCompletionMessageToolCall>;
}

/** Log-probabilities of a choice. */
export interface ChoiceLogprobs {
  content: Array<ChatCompletionTokenLogprob> | null;
}

/** One choice of a chat reply. */
export interface ChatCompletionChoice {
  finish_reason: ChatCompletionFinishReason;
  index: number;
  logprobs: ChoiceLogprobs | null;
  message: ChatCompletionMessage;
}

/** A chat reply. */
export interface ChatCompletion {
  id: string;
  choices: Array<ChatCompletionChoice>;
  model: string;
  object: 'chat.completion';
  created: number;
  usage?: CompletionUsage;
  system_fingerprint?: string;
  /** Ruminate: the strategy's plan, winner, trace and work done. */
  ruminate?: RuminateExtras;
}

/** One choice of a streamed chat chunk. */
export interface ChatCompletionChunkChoice {
  delta: {
    content?: string | null;
    role?: 'system' | 'user' | 'assistant' | 'tool';
    tool_calls?: Array<{
      index: number;
      id?: string;
      function?: { arguments?: string; name?: string };
      type?: 'function';
    }>;
  };
  finish_reason: ChatCompletionFinishReason | null;
  index: number;
  logprobs?: ChoiceLogprobs | null;
}

/** What a streamed chunk carries of Ruminate's run: a candidate's delta, or (last chunk) the result. */
export type RuminateChunkExtras = Partial<RuminateExtras> & {
  candidate?: number;
  parent?: number | null;
  delta?: string;
};

/** A streamed chat chunk. */
export interface ChatCompletionChunk {
  id: string;
  choices: Array<ChatCompletionChunkChoice>;
  created: number;
  model: string;
  object: 'chat.completion.chunk';
  system_fingerprint?: string;
  usage?: CompletionUsage;
  /** Ruminate: a candidate's delta (strategies that vote), or on the last chunk the result. */
  ruminate?: RuminateChunkExtras;
}

/** Fields of a plain completion request. */
export interface CompletionCreateParamsBase extends RuminateRequestFields {
  prompt: string;
  echo?: boolean | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  max_tokens?: number | null;
  n?: number | null;
  presence_penalty?: number | null;
  repetition_penalty?: number | null;
  seed?: number | null;
  stop?: string | null | Array<string>;
  stream?: boolean | null;
  stream_options?: ChatCompletionStreamOptions | null;
  temperature?: number | null;
  top_p?: number | null;
  ignore_eos?: boolean;
  model?: string | null;
  suffix?: string | null;
  user?: string;
  best_of?: number | null;
  extra_body?: { enable_latency_breakdown?: boolean | null };
}

/** A plain completion answered at once. */
export interface CompletionCreateParamsNonStreaming extends CompletionCreateParamsBase {
  stream?: false | null;
}

/** A plain completion answered as a stream. */
export interface CompletionCreateParamsStreaming extends CompletionCreateParamsBase {
  stream: true;
}

/** A plain completion request. */
export type CompletionCreateParams = CompletionCreateParamsNonStreaming | CompletionCreateParamsStreaming;

/** One choice of a plain completion. */
export interface CompletionChoice {
  finish_reason: ChatCompletionFinishReason | null;
  index: number;
  logprobs?: ChoiceLogprobs | null;
  text: string;
}

/** A plain completion (also each streamed chunk of one). */
export interface Completion {
  id: string;
  choices: Array<CompletionChoice>;
  created: number;
  model: string;
  object: 'text_completion';
  system_fingerprint?: string;
  usage?: CompletionUsage;
  /** Ruminate: the strategy's plan, winner, trace and work done (streamed: a candidate's delta). */
  ruminate?: RuminateChunkExtras;
}

/** An embeddings request (not supported by Ruminate). */
export interface EmbeddingCreateParams {
  input: string | Array<string> | Array<number> | Array<Array<number>>;
  model?: string | null;
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}

/** An embeddings reply. */
export interface CreateEmbeddingResponse {
  data: Array<{ embedding: Array<number>; index: number; object: 'embedding' }>;
  model: string;
  object: 'list';
  usage: { prompt_tokens: number; total_tokens: number; extra: { prefill_tokens_per_s: number } };
}
