// WebLLM requests → Ruminate requests: WebLLM's checks (the same rules, as RuminateErrors naming
// the field), its null-means-unset fields, a model's chat options as defaults, WebLLM's spelling
// of response_format mapped onto Ruminate's, and the fields Ruminate does not serve refused by
// name (README: "Supported fields").

import {
  type CompletionRequest,
  fromCompletionRequest,
  type ResponseFormat as RuminateResponseFormat,
  type RunRequest,
} from '@ruminate/controller';
import { RuminateError } from '@ruminate/errors';
import type { ChatMessage } from '@ruminate/runtime';
import type { ChatOptions } from './config-types.ts';
import type {
  ChatCompletionMessageParam,
  ChatCompletionRequestBase,
  CompletionCreateParamsBase,
  ResponseFormat,
} from './openai-types.ts';

/** Constrained-decoding fields of Ruminate requests (issue #19) that WebLLM's response_format maps onto. */
interface ConstrainedFields {
  /** EBNF/GBNF grammar the output must match. */
  grammar?: string;
}

/** The fields a chat and a plain completion request share. */
type SharedFields = ChatCompletionRequestBase | CompletionCreateParamsBase;

function unsupported(field: string, what: string): RuminateError {
  return new RuminateError(
    'unsupported-feature',
    `${field}: ${what} is not supported by @ruminate/web-llm (see its README, "Supported fields"). Leave it out.`,
    { field },
  );
}

function bad(field: string, message: string): RuminateError {
  return new RuminateError('invalid-argument', `${field} ${message}`, { field });
}

/** `v`, with WebLLM's `null` read as "not set". */
function given<T>(v: T | null | undefined): T | undefined {
  return v === null ? undefined : v;
}

/** A WebLLM message as Ruminate's chat message (text only). */
export function toChatMessage(m: ChatCompletionMessageParam, i: number): ChatMessage {
  if (m.role === 'user' && typeof m.content !== 'string') {
    const parts = Array.isArray(m.content) ? m.content : [];
    if (parts.some((p) => p.type !== 'text')) {
      throw unsupported(`messages[${i}].content`, 'image and audio content (vision/audio models)');
    }
    return { role: 'user', content: parts.map((p) => (p.type === 'text' ? p.text : '')).join('') };
  }
  if (m.role === 'assistant') {
    if (m.tool_calls?.length) throw unsupported(`messages[${i}].tool_calls`, 'function calling');
    return { role: 'assistant', content: m.content ?? '' };
  }
  if (m.role !== 'system' && m.role !== 'user' && m.role !== 'tool') {
    throw bad(
      `messages[${i}].role`,
      `must be system, user, assistant or tool (got ${String((m as { role?: unknown }).role)}).`,
    );
  }
  if (typeof m.content !== 'string') throw bad(`messages[${i}].content`, 'must be a string.');
  return { role: m.role, content: m.content };
}

/** WebLLM's rules for a chat request's messages: a system prompt only first, the last turn the user's or a tool's. */
export function chatMessagesOf(request: ChatCompletionRequestBase): ChatMessage[] {
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    throw bad('messages', 'must be a non-empty array.');
  }
  const messages = request.messages.map(toChatMessage);
  messages.forEach((m, i) => {
    if (m.role === 'system' && i !== 0) {
      throw bad(`messages[${i}]`, 'is a system prompt: it must be the first message.');
    }
  });
  const last = messages[messages.length - 1];
  if (last?.role !== 'user' && last?.role !== 'tool') {
    throw bad('messages', 'must end with a user or tool message.');
  }
  return messages;
}

/** WebLLM's response_format as Ruminate's (json_object, a JSON Schema, or an EBNF grammar). */
export function responseFormatOf(
  format: ResponseFormat | undefined,
): { response_format?: RuminateResponseFormat } & ConstrainedFields {
  if (!format) return {};
  const schema = given(format.schema);
  const grammar = given(format.grammar);
  if (schema !== undefined && format.type !== 'json_object') {
    throw bad('response_format.schema', 'needs response_format.type "json_object".');
  }
  if (grammar !== undefined && format.type !== 'grammar') {
    throw bad('response_format.grammar', 'needs response_format.type "grammar".');
  }
  switch (format.type) {
    case undefined:
    case 'text':
      return {};
    case 'json_object': {
      if (schema === undefined) return { response_format: { type: 'json_object' } };
      let parsed: unknown;
      try {
        parsed = JSON.parse(schema);
      } catch (e) {
        throw bad(
          'response_format.schema',
          `must be a JSON Schema as a JSON string (${(e as Error).message}).`,
        );
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw bad('response_format.schema', 'must be a JSON object (a JSON Schema).');
      }
      return {
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'response', schema: parsed as Record<string, never>, strict: true },
        },
      };
    }
    case 'grammar':
      if (grammar === undefined) throw bad('response_format.grammar', 'is required with type "grammar".');
      return { grammar };
    case 'structural_tag':
      throw unsupported('response_format.structural_tag', 'structural tags');
    default:
      throw bad('response_format.type', 'must be text, json_object, grammar or structural_tag.');
  }
}

/** What a request asks for, in Ruminate's OpenAI shape, before the prompt is known. */
function sharedFields(
  r: SharedFields,
  defaults: ChatOptions,
): Omit<CompletionRequest, 'prompt'> & ConstrainedFields {
  const bias = given(r.logit_bias);
  if (bias && Object.values(bias).some((v) => v !== -100)) {
    throw unsupported('logit_bias', 'a logit bias other than -100 (never sample the token)');
  }
  if (r.ignore_eos) throw unsupported('ignore_eos', 'generating past end-of-sequence');
  const seed = given(r.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw bad('seed', `must be an integer (got ${seed}).`);
  const out: Omit<CompletionRequest, 'prompt'> & ConstrainedFields = {};
  const set = <K extends keyof typeof out>(k: K, v: (typeof out)[K] | null | undefined) => {
    if (v !== undefined && v !== null) out[k] = v;
  };
  set('n', given(r.n));
  set('temperature', given(r.temperature) ?? (defaults.temperature as number | undefined));
  set('top_p', given(r.top_p) ?? (defaults.top_p as number | undefined));
  set('frequency_penalty', given(r.frequency_penalty) ?? (defaults.frequency_penalty as number | undefined));
  set('presence_penalty', given(r.presence_penalty) ?? (defaults.presence_penalty as number | undefined));
  set(
    'repetition_penalty',
    given(r.repetition_penalty) ?? (defaults.repetition_penalty as number | undefined),
  );
  set('max_tokens', given(r.max_tokens));
  set('stop', given(r.stop));
  set('seed', seed);
  set('strategy', r.strategy);
  set('budget', r.budget);
  set('verifier', r.verifier);
  set('top_k', r.top_k);
  set('min_p', r.min_p);
  if (bias && Object.keys(bias).length > 0) out.logit_bias = bias;
  return out;
}

/** Log-probabilities asked for: -1 for none, else the alternatives per position. */
function topLogprobsOf(r: SharedFields): number {
  const top = given(r.top_logprobs);
  if (top !== undefined && !r.logprobs) throw bad('top_logprobs', 'needs logprobs: true.');
  return r.logprobs ? (top ?? 0) : -1;
}

/** A request mapped: Ruminate's canonical run request, and how many log-probabilities to report. */
export interface MappedRequest {
  /** What `RuminateClient.run` takes. */
  run: RunRequest;
  /** -1: no log-probabilities; else alternatives per position. */
  topLogprobs: number;
}

/**
 * Maps a WebLLM request onto Ruminate's run request over `prompt` tokens (the controller's own
 * mapping does the rest, so constrained decoding and new fields arrive from it). Without
 * `max_tokens`, generation may run to the end of the context, as WebLLM's does.
 */
export function mapRequest(
  request: SharedFields,
  prompt: number[],
  contextLength: number,
  defaults: ChatOptions,
): MappedRequest {
  if ('suffix' in request && given(request.suffix) !== undefined) throw unsupported('suffix', 'insertion');
  if ('best_of' in request && given(request.best_of) !== undefined) throw unsupported('best_of', 'best_of');
  if ('tools' in request && request.tools?.length) throw unsupported('tools', 'function calling');
  if ('tool_choice' in request && request.tool_choice !== undefined && request.tool_choice !== 'none') {
    throw unsupported('tool_choice', 'function calling');
  }
  const topLogprobs = topLogprobsOf(request);
  const fields = sharedFields(request, defaults);
  const format = responseFormatOf('response_format' in request ? request.response_format : undefined);
  const room = contextLength - prompt.length;
  if (room < 1) {
    throw new RuminateError(
      'context-overflow',
      `Prompt tokens exceed context window size: ${prompt.length} prompt tokens, context ${contextLength}. ` +
        'Shorten the prompt, or reload with a larger context_window_size.',
      { field: 'messages' },
    );
  }
  const ruminate: CompletionRequest & ConstrainedFields = {
    ...fields,
    ...format,
    prompt,
    max_tokens: Math.min(fields.max_tokens ?? room, room),
  };
  if (topLogprobs >= 0) ruminate.logprobs = topLogprobs;
  const run = fromCompletionRequest(ruminate);
  // Until Ruminate's controller carries `grammar` (constrained decoding), refuse rather than run unconstrained.
  if (ruminate.grammar !== undefined && !JSON.stringify(run).includes(JSON.stringify(ruminate.grammar))) {
    throw unsupported(
      'response_format.grammar',
      'an EBNF grammar (this Ruminate build has no constrained decoding)',
    );
  }
  return { run, topLogprobs };
}
