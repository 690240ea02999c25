// Building OpenAI-shaped responses and stream chunks from a run result.

import type { ChoiceResult, LogprobEntry, RunResult } from './run-strategy.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatTokenLogprob,
  Completion,
  CompletionChunk,
  RuminateExtras,
  Usage,
} from './types.ts';

/** A response id like OpenAI's (`chatcmpl-…`). */
export function responseId(prefix: string): string {
  const c = globalThis.crypto;
  const rand = c?.randomUUID
    ? c.randomUUID().replace(/-/g, '').slice(0, 24)
    : Math.random().toString(36).slice(2);
  return `${prefix}-${rand}`;
}

/** Fingerprint of the backend configuration (OpenAI's `system_fingerprint`). */
export const SYSTEM_FINGERPRINT = 'ruminate-0.1';

/** OpenAI usage: completion tokens count every candidate's tokens (like reasoning tokens); the extra are reported as reasoning tokens. */
export function usageOf(r: RunResult): Usage {
  const completion = r.usage.generatedTokens;
  return {
    prompt_tokens: r.usage.promptTokens,
    completion_tokens: completion,
    total_tokens: r.usage.promptTokens + completion,
    completion_tokens_details: { reasoning_tokens: Math.max(0, completion - r.usage.returnedTokens) },
  };
}

/** The `ruminate` block. */
export function extrasOf(r: RunResult): RuminateExtras {
  return {
    plan: r.plan,
    winner: r.winner,
    answer: r.answer,
    abstained: r.abstained,
    trace: r.trace,
    usage: r.usage,
    stats: r.stats,
  };
}

/** One token's entry in OpenAI's chat format. */
export function chatLogprob(l: LogprobEntry): ChatTokenLogprob {
  return { token: l.token, logprob: l.logprob, bytes: l.bytes, top_logprobs: l.top };
}

/** Tokens' entries in OpenAI's plain-completion format; offsets count from `offset`. */
export function textLogprobs(
  entries: LogprobEntry[],
  offset = 0,
): NonNullable<Completion['choices'][number]['logprobs']> {
  let at = offset;
  return {
    tokens: entries.map((l) => l.token),
    token_logprobs: entries.map((l) => l.logprob),
    top_logprobs: entries.map((l) => Object.fromEntries(l.top.map((t) => [t.token, t.logprob]))),
    text_offset: entries.map((l) => {
      const o = at;
      at += l.token.length;
      return o;
    }),
  };
}

/** A chat completion from a run. */
export function toChatCompletion(r: RunResult, model: string, id = responseId('chatcmpl')): ChatCompletion {
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: r.choices.map((c, index) => ({
      index,
      message: c.toolCalls
        ? {
            role: 'assistant',
            content: c.text === '' ? null : c.text,
            refusal: null,
            tool_calls: c.toolCalls,
          }
        : { role: 'assistant', content: c.text, refusal: null },
      logprobs: c.logprobs ? { content: c.logprobs.map(chatLogprob), refusal: null } : null,
      finish_reason: c.finishReason,
    })),
    usage: usageOf(r),
    ruminate: extrasOf(r),
  };
}

/** The delta of a chat stream's last chunk for one choice: its text and, as OpenAI streams them, its tool calls. */
export function lastChatDelta(c: ChoiceResult): ChatCompletionChunk['choices'][number]['delta'] {
  if (!c.toolCalls) return { role: 'assistant', content: c.text };
  return {
    role: 'assistant',
    ...(c.text === '' ? {} : { content: c.text }),
    tool_calls: c.toolCalls.map((t, index) => ({ index, ...t })),
  };
}

/** A plain completion from a run (`echo` prepends the prompt). */
export function toCompletion(
  r: RunResult,
  model: string,
  echo?: string,
  id = responseId('cmpl'),
): Completion {
  return {
    id,
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: r.choices.map((c, index) => ({
      index,
      text: (echo ?? '') + c.text,
      logprobs: c.logprobs ? textLogprobs(c.logprobs, echo?.length ?? 0) : null,
      finish_reason: c.finishReason,
    })),
    usage: usageOf(r),
    ruminate: extrasOf(r),
  };
}

/** Builds the chunks of one streamed response. */
export class ChunkFactory {
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly id: string;
  private readonly model: string;

  constructor(model: string, prefix: string) {
    this.model = model;
    this.id = responseId(prefix);
  }

  /** A chat chunk. */
  chat(
    choices: ChatCompletionChunk['choices'],
    extra?: Partial<Pick<ChatCompletionChunk, 'usage' | 'ruminate'>>,
  ): ChatCompletionChunk {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices,
      usage: extra?.usage ?? null,
      ...(extra?.ruminate ? { ruminate: extra.ruminate } : {}),
    };
  }

  /** A plain-completion chunk. */
  text(
    choices: CompletionChunk['choices'],
    extra?: Partial<Pick<CompletionChunk, 'usage' | 'ruminate'>>,
  ): CompletionChunk {
    return {
      id: this.id,
      object: 'text_completion',
      created: this.created,
      model: this.model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices,
      usage: extra?.usage ?? null,
      ...(extra?.ruminate ? { ruminate: extra.ruminate } : {}),
    };
  }
}
