// The small interface a Generator needs from an engine that has no token step: an OpenAI-style
// completions API (an HTTP server such as vLLM, llama.cpp's server or `ruminate serve`, or an
// in-page engine such as WebLLM's MLCEngine). One call asks for `n` continuations of a prompt
// plus already generated text, and streams their tokens back as they are produced (an API that
// cannot stream yields them all at the end). It says nothing about transport.

import type { ChatMessage, SamplingParams } from '@ruminate/runtime';

/** A prompt as a completions API takes it: text for plain completions, messages for chat. */
export type ApiPrompt = { text: string } | { messages: ChatMessage[] };

/** One call: `n` continuations of `prompt` followed by `continuation`. */
export interface CompletionApiRequest {
  /** The request's prompt, re-sent on every call. */
  prompt: ApiPrompt;
  /**
   * Text already generated that the reply continues (a fork's or a paused candidate's prefix);
   * '' at the start. For chat prompts it is the start of the assistant's message.
   */
  continuation: string;
  /** Continuations wanted (each one a `choices[]` entry, by `index`). */
  n: number;
  /** Tokens per continuation, at most. */
  maxTokens: number;
  /** Sampling (its seed seeds the call). */
  sampling: SamplingParams;
  /** Stop strings (the API may stop at them; the generator also finds them in the text). */
  stop: readonly string[];
  /** Alternatives per token wanted besides the chosen token's log-probability (0–20). */
  topLogprobs: number;
}

/** One alternative at a position. */
export interface ApiTopLogprob {
  /** The token's text. */
  text: string;
  /** Its log-probability. */
  logprob: number;
}

/** One generated token as the API reports it. */
export interface ApiToken {
  /** Its text (an API without per-token logprobs reports each streamed piece as one token). */
  text: string;
  /** Its log-probability (NaN when the API does not report it). */
  logprob: number;
  /** The most likely alternatives, best first (empty when not reported). */
  top: ApiTopLogprob[];
}

/** Why the API ended a continuation. */
export type ApiFinishReason = 'eos' | 'stop' | 'length';

/** What a completion call streams: tokens and finishes per choice index, and usage once. */
export type CompletionApiEvent =
  | { type: 'token'; index: number; token: ApiToken }
  | { type: 'finish'; index: number; reason: ApiFinishReason }
  | { type: 'usage'; promptTokens: number; completionTokens: number };

/** An OpenAI-style completions API; see the file comment. */
export interface CompletionApi {
  /** Who serves it (a base URL, "webllm", …), named in errors and the trace. */
  readonly name: string;
  /**
   * Streams `request.n` continuations. Aborting `signal` ends the call early (the generator
   * does so once every continuation it asked for has paused or ended); the iterable then ends or
   * throws. It throws a RuminateError (`remote-*` codes) when the API fails or its reply is
   * malformed or truncated.
   */
  complete(request: CompletionApiRequest, signal: AbortSignal): AsyncIterable<CompletionApiEvent>;
}
