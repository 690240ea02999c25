// The canonical request every entry point (chat, completions, CLI) is turned into, its
// validation (typed errors naming the field as the caller spelled it), and the OpenAI → canonical
// mapping.

import { RuminateError } from '@ruminate/errors';
import type { ChatMessage, Constraint } from '@ruminate/runtime';
import type { Budget } from '../planner/types.ts';
import type { StrategySpec } from '../strategies/types.ts';
import type { AnswerOptions } from '../verifiers/answer.ts';
import type { JsonSchema } from '../verifiers/json-schema.ts';
import type { VerifierSpec } from '../verifiers/resolve.ts';
import { constraintOf } from './constraint-of.ts';
import { type ThinkingMode, validateThinking } from './thinking-prompt.ts';
import type { ChatCompletionRequest, ChatTool, CompletionRequest, ToolChoice } from './types.ts';

/** A request in canonical form (camelCase); `runStrategy` takes this. */
export interface RunRequest {
  /** Chat messages (rendered with the model's chat template). */
  messages?: ChatMessage[];
  /** Plain prompt text (tokenized with BOS). */
  prompt?: string;
  /** Prompt token ids, used as given. */
  promptTokens?: number[];
  /** Start of the assistant's reply to continue (chat `continue_final_message`): appended to the rendered messages. */
  prefill?: string;
  /** Strategy, `name[@samples]` or an object; default: `sample`, or `sc`/`bon` when a budget is given. */
  strategy?: StrategySpec;
  /** Samples (overrides the `@N` of `strategy`; the CLI's `--n`). */
  samples?: number;
  /** Choices returned (OpenAI `n`), default 1. */
  n?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repetitionPenalty?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** Per-candidate token limit. */
  maxTokens?: number;
  /** Token ids never sampled (OpenAI `logit_bias` of -100). */
  bannedTokens?: number[];
  stop?: string | string[];
  seed?: number;
  /** Return per-token log-probabilities of the choices. */
  logprobs?: boolean;
  /** With this many alternatives each (0–20). */
  topLogprobs?: number;
  verifier?: VerifierSpec;
  stepScorer?: VerifierSpec;
  answer?: AnswerOptions;
  delimiter?: string;
  budget?: Budget;
  /** JSON Schema the answer must satisfy (from `response_format`); the default verifier. */
  responseSchema?: JsonSchema;
  /** Output constraint enforced while decoding (response_format, grammar, regex). */
  constraint?: Constraint;
  /** Functions the model may call (chat). */
  tools?: ChatTool[];
  /** OpenAI tool_choice. */
  toolChoice?: ToolChoice;
  verifierTimeoutMs?: number;
  /** Thinking section: 'off', 'on' or `{ maxTokens }` (models with `<think>`). */
  thinking?: ThinkingMode;
}

function bad(field: string, message: string): RuminateError {
  return new RuminateError('invalid-argument', `${field} ${message}`, { field });
}

function checkNumber(
  v: unknown,
  field: string,
  opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean },
): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw bad(field, `must be a finite number (got ${JSON.stringify(v)}).`);
  if (opts.integer && !Number.isInteger(v)) throw bad(field, `must be an integer (got ${v}).`);
  if (opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min)) {
    throw bad(field, `must be ${opts.exclusiveMin ? '>' : '≥'} ${opts.min} (got ${v}).`);
  }
  if (opts.max !== undefined && v > opts.max) throw bad(field, `must be ≤ ${opts.max} (got ${v}).`);
}

/** Checks every field's type and range; throws `invalid-argument` naming the field (OpenAI spelling). */
export function validateRunRequest(r: RunRequest): void {
  const sources = [r.messages, r.prompt, r.promptTokens].filter((x) => x !== undefined).length;
  if (sources !== 1)
    throw bad('messages', 'or prompt: give exactly one of messages, prompt or prompt tokens.');
  if (r.messages !== undefined) {
    if (!Array.isArray(r.messages) || r.messages.length === 0)
      throw bad('messages', 'must be a non-empty array.');
    r.messages.forEach((m, i) => {
      if (!m || typeof m.content !== 'string' || !['system', 'user', 'assistant', 'tool'].includes(m.role)) {
        throw bad(`messages[${i}]`, 'must be { role: system|user|assistant|tool, content: string }.');
      }
    });
  }
  if (r.prompt !== undefined && typeof r.prompt !== 'string') throw bad('prompt', 'must be a string.');
  if (r.tools !== undefined && r.toolChoice !== 'none' && r.constraint !== undefined) {
    throw bad(
      'tools',
      'cannot be combined with response_format, grammar or regex (the call is constrained to its schema).',
    );
  }
  if (
    r.promptTokens !== undefined &&
    (!Array.isArray(r.promptTokens) || r.promptTokens.some((t) => !Number.isInteger(t) || t < 0))
  ) {
    throw bad('prompt', 'tokens must be non-negative integers.');
  }
  checkNumber(r.n, 'n', { min: 1, integer: true });
  checkNumber(r.samples, 'samples', { min: 1, integer: true });
  checkNumber(r.temperature, 'temperature', { min: 0, max: 100 });
  checkNumber(r.topP, 'top_p', { min: 0, max: 1, exclusiveMin: true });
  checkNumber(r.topK, 'top_k', { min: 0, integer: true });
  checkNumber(r.minP, 'min_p', { min: 0, max: 1 });
  checkNumber(r.repetitionPenalty, 'repetition_penalty', { min: 0, exclusiveMin: true });
  checkNumber(r.frequencyPenalty, 'frequency_penalty', { min: -2, max: 2 });
  checkNumber(r.presencePenalty, 'presence_penalty', { min: -2, max: 2 });
  checkNumber(r.maxTokens, 'max_tokens', { min: 1, integer: true });
  checkNumber(r.seed, 'seed', { integer: true });
  checkNumber(r.topLogprobs, 'top_logprobs', { min: 0, max: 20, integer: true });
  checkNumber(r.verifierTimeoutMs, 'verifier_timeout_ms', { min: 0, exclusiveMin: true });
  validateThinking(r.thinking);
  if (r.stop !== undefined) {
    const stops = typeof r.stop === 'string' ? [r.stop] : r.stop;
    if (!Array.isArray(stops) || stops.some((s) => typeof s !== 'string' || s.length === 0)) {
      throw bad('stop', 'must be a non-empty string or an array of them.');
    }
  }
  if (r.delimiter !== undefined && (typeof r.delimiter !== 'string' || r.delimiter.length === 0)) {
    throw bad('step_delimiter', 'must be a non-empty string.');
  }
  if (r.budget !== undefined) {
    if (typeof r.budget !== 'object' || r.budget === null)
      throw bad('budget', 'must be { latencyMs } or { tokens }.');
    if (r.budget.latencyMs === undefined && r.budget.tokens === undefined)
      throw bad('budget', 'must give latencyMs or tokens.');
    checkNumber(r.budget.latencyMs, 'budget.latencyMs', { min: 0, exclusiveMin: true });
    checkNumber(r.budget.tokens, 'budget.tokens', { min: 0, exclusiveMin: true, integer: true });
  }
}

/** The tokens a `logit_bias` bans: -100 bans (as in OpenAI's API); other biases are not supported. */
function bannedOf(bias: Record<string, number> | undefined): number[] | undefined {
  if (bias === undefined) return undefined;
  if (bias === null || typeof bias !== 'object' || Array.isArray(bias))
    throw bad('logit_bias', 'must be an object of token id → bias.');
  const banned: number[] = [];
  for (const [key, value] of Object.entries(bias)) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0) throw bad('logit_bias', `keys must be token ids (got "${key}").`);
    if (value !== -100)
      throw bad(
        'logit_bias',
        `supports only -100 (never sample the token); got ${JSON.stringify(value)} for ${key}.`,
      );
    banned.push(id);
  }
  return banned;
}

function common(r: ChatCompletionRequest | CompletionRequest): RunRequest {
  const out: RunRequest = {};
  const set = <K extends keyof RunRequest>(k: K, v: RunRequest[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('n', r.n);
  set('temperature', r.temperature);
  set('topP', r.top_p);
  set('topK', r.top_k);
  set('minP', r.min_p);
  set('repetitionPenalty', r.repetition_penalty);
  set('frequencyPenalty', r.frequency_penalty);
  set('presencePenalty', r.presence_penalty);
  set('maxTokens', r.max_tokens ?? r.max_completion_tokens);
  set('stop', r.stop);
  set('seed', r.seed);
  set('strategy', r.strategy);
  set('budget', r.budget);
  set('verifier', r.verifier);
  set('stepScorer', r.step_scorer);
  set('answer', r.answer);
  set('delimiter', r.step_delimiter);
  set('verifierTimeoutMs', r.verifier_timeout_ms);
  set('thinking', r.thinking);
  const constrained = constraintOf(r);
  set('constraint', constrained?.constraint);
  set('responseSchema', constrained?.schema);
  set('bannedTokens', bannedOf(r.logit_bias));
  return out;
}

/** Maps a chat request to canonical form. */
export function fromChatRequest(r: ChatCompletionRequest): RunRequest {
  const out = common(r);
  // An assistant turn that only called tools has content null in OpenAI's shape.
  out.messages = Array.isArray(r.messages)
    ? r.messages.map((m) => (m && m.content === null ? { ...m, content: '' } : (m as ChatMessage)))
    : r.messages;
  if (r.tools !== undefined) out.tools = r.tools;
  if (r.tool_choice !== undefined) out.toolChoice = r.tool_choice;
  if (r.continue_final_message !== undefined && typeof r.continue_final_message !== 'boolean')
    throw bad('continue_final_message', 'must be true or false.');
  if (r.continue_final_message) {
    const last = Array.isArray(out.messages) ? out.messages.at(-1) : undefined;
    if (last?.role !== 'assistant' || typeof last.content !== 'string')
      throw bad('continue_final_message', 'needs the last message to be an assistant message.');
    out.prefill = last.content;
    out.messages = (out.messages as ChatMessage[]).slice(0, -1);
  }
  if (r.logprobs !== undefined && typeof r.logprobs !== 'boolean')
    throw bad('logprobs', 'must be true or false.');
  if (r.top_logprobs !== undefined && !r.logprobs) throw bad('top_logprobs', 'needs logprobs: true.');
  if (r.logprobs) out.logprobs = true;
  if (r.top_logprobs !== undefined) out.topLogprobs = r.top_logprobs;
  return out;
}

/** Maps a plain completion request to canonical form. */
export function fromCompletionRequest(r: CompletionRequest): RunRequest {
  const out = common(r);
  if (typeof r.prompt === 'string') out.prompt = r.prompt;
  else out.promptTokens = r.prompt;
  if (r.logprobs !== undefined) {
    out.logprobs = true;
    out.topLogprobs = r.logprobs;
  }
  return out;
}
