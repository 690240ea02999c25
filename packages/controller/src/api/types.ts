// Request and response shapes of the public API: OpenAI's chat and completions shapes (same
// field names and meanings; `n` is the number of choices returned), plus `strategy`, `budget`,
// `verifier` and the `ruminate` block on responses.

import type { ChatMessage } from '@ruminate/runtime';
import type { CandidateTrace } from '../generator/trace.ts';
import type { Budget, Plan } from '../planner/types.ts';
import type { StrategySpec } from '../strategies/types.ts';
import type { AnswerOptions } from '../verifiers/answer.ts';
import type { JsonSchema } from '../verifiers/json-schema.ts';
import type { VerifierSpec } from '../verifiers/resolve.ts';
import type { ThinkingMode } from './thinking-prompt.ts';

/** OpenAI `response_format`, plus the forms WebLLM accepts (a JSON-mode schema as text, a grammar); enforced while decoding. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object'; schema?: string | JsonSchema }
  | {
      type: 'json_schema';
      json_schema: { name?: string; schema: JsonSchema; strict?: boolean | null; description?: string };
    }
  | { type: 'grammar'; grammar: string };

/** A function the model may call (OpenAI's tool shape). */
export interface ChatTool {
  type: 'function';
  function: {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
    strict?: boolean | null;
  };
}

/** OpenAI `tool_choice`. */
export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

/** One tool call in a reply (OpenAI's shape; `arguments` is JSON text). */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** Fields shared by chat and plain completions. */
export interface CommonRequest {
  /** Model name (informational; the engine serves its loaded model). */
  model?: string;
  /** Choices returned (OpenAI meaning), default 1. */
  n?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  /** Per-choice token limit (`max_completion_tokens` is accepted too). */
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[];
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  repetition_penalty?: number;
  /** Token id → bias; -100 bans the token (the only bias supported). */
  logit_bias?: Record<string, number>;
  /** Return a stream of chunks instead of one response. */
  stream?: boolean;
  /** Include usage in the last streamed chunk (always included here; accepted for compatibility). */
  stream_options?: { include_usage?: boolean };
  /** Output shape enforced token by token (JSON mode, a JSON Schema, or a grammar). */
  response_format?: ResponseFormat;
  /** Ruminate extension: a GBNF/EBNF grammar (llama.cpp's GBNF as written) the output must match. */
  grammar?: string;
  /** Ruminate extension: a regular expression the whole output must match. */
  regex?: string;
  /** Functions the model may call (chat requests; rendered by the model's chat template). */
  tools?: ChatTool[];
  /** Whether and which tool the model must call: `none`, `auto` (default with tools), `required`, or a named function. */
  tool_choice?: ToolChoice;
  /** Test-time compute: `name[@samples]` or an object (ARCHITECTURE.md lists them). */
  strategy?: StrategySpec;
  /** Latency (ms) or token budget for the test-time compute. */
  budget?: Budget;
  /** Outcome verifier for best-of-N / weighted SC (default: response_format's schema, else mean log-probability). */
  verifier?: VerifierSpec;
  /** Step scorer for beam, DVTS and particle filtering (default self-certainty). */
  step_scorer?: VerifierSpec;
  /** How answers are extracted for voting. */
  answer?: AnswerOptions;
  /** Reasoning-step delimiter (default "\n\n"). */
  step_delimiter?: string;
  /** Time limit per verifier call (default 10 s). */
  verifier_timeout_ms?: number;
  /** Thinking section of models that have one (qwen3): 'off', 'on', or a budget closed by force at `maxTokens`. */
  thinking?: ThinkingMode;
}

/** A chat message in a request: as the runtime's, but an assistant turn that only called tools may have `content: null` (OpenAI's shape). */
export type ChatRequestMessage = Omit<ChatMessage, 'content'> & { content: string | null };

/** `chat.completions.create` request. */
export interface ChatCompletionRequest extends CommonRequest {
  messages: ChatRequestMessage[];
  /** Return log-probabilities of the chosen tokens. */
  logprobs?: boolean;
  /** And this many alternatives per position (0–20). */
  top_logprobs?: number;
  /** Continue the last message (an assistant's) instead of starting a new one (vLLM's field; a remote engine's forks use it). */
  continue_final_message?: boolean;
  /** Accepted with `continue_final_message` (which implies false). */
  add_generation_prompt?: boolean;
}

/** `completions.create` request. */
export interface CompletionRequest extends CommonRequest {
  prompt: string | number[];
  /** Return this many top log-probabilities per position (0–20). */
  logprobs?: number;
  /** Prepend the prompt to each choice's text. */
  echo?: boolean;
}

/** One position's log-probability in OpenAI's chat format. */
export interface ChatTokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

/** Why a choice ended, as OpenAI says it. */
export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls';

/** Token counts, as OpenAI reports them (completion tokens include every candidate's, like reasoning tokens). */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details: { reasoning_tokens: number };
}

/** What Ruminate adds to usage. */
export interface RuminateUsage {
  /** Tokens generated by all candidates. */
  generatedTokens: number;
  /** Tokens of the returned choices. */
  returnedTokens: number;
  /** Prompt tokens (prefilled once). */
  promptTokens: number;
  /** Candidates created. */
  candidates: number;
  /** Batched engine steps. */
  stepCalls: number;
  /** KV forks. */
  forks: number;
  /** Widest batch decoded. */
  maxBatch: number;
  /** Wall-clock time of the run, ms. */
  timeMs: number;
}

/** The `ruminate` block of a response. */
export interface RuminateExtras {
  /** What the planner decided. */
  plan: Plan;
  /** The winning candidate's id in `trace`, or null when the strategy abstained. */
  winner: number | null;
  /** The winning extracted answer, for voting strategies. */
  answer: string | null;
  /** True when no candidate passed the verifier and abstention was allowed (then `choices` is empty). */
  abstained: boolean;
  /** Every candidate. */
  trace: CandidateTrace[];
  /** Work done. */
  usage: RuminateUsage;
  /** Strategy-specific numbers (samples saved, threshold, …). */
  stats: Record<string, number>;
}

/** A chat completion. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    message: { role: 'assistant'; content: string | null; refusal: null; tool_calls?: ToolCall[] };
    logprobs: { content: ChatTokenLogprob[]; refusal: null } | null;
    finish_reason: OpenAIFinishReason;
  }[];
  usage: Usage;
  ruminate: RuminateExtras;
}

/** A streamed chat chunk. Candidate deltas carry `ruminate.candidate`/`ruminate.delta`; the last chunk carries the chosen choices, usage and the `ruminate` result. */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    delta: {
      role?: 'assistant';
      content?: string;
      tool_calls?: {
        index: number;
        id: string;
        type: 'function';
        function: { name: string; arguments: string };
      }[];
    };
    /** This chunk's tokens, when `logprobs` was asked for (greedy and sample stream them). */
    logprobs: { content: ChatTokenLogprob[] } | null;
    finish_reason: OpenAIFinishReason | null;
  }[];
  usage: Usage | null;
  ruminate?: Partial<RuminateExtras> & { candidate?: number; parent?: number | null; delta?: string };
}

/** A plain completion. */
export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    text: string;
    logprobs: {
      tokens: string[];
      token_logprobs: number[];
      top_logprobs: Record<string, number>[] | null;
      text_offset: number[];
    } | null;
    finish_reason: OpenAIFinishReason;
  }[];
  usage: Usage;
  ruminate: RuminateExtras;
}

/** A streamed plain-completion chunk. */
export interface CompletionChunk {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    text: string;
    /** This chunk's tokens, when `logprobs` was asked for (greedy and sample stream them). */
    logprobs: Completion['choices'][number]['logprobs'];
    finish_reason: OpenAIFinishReason | null;
  }[];
  usage: Usage | null;
  ruminate?: Partial<RuminateExtras> & { candidate?: number; parent?: number | null; delta?: string };
}

/** Per-call options. */
export interface CallOptions {
  /** Cancels the call; every forked sequence is released. */
  signal?: AbortSignal;
}
