// Ruminate run results → WebLLM replies: choices, log-probabilities in WebLLM's chat format,
// and usage with WebLLM's `extra` (speeds and latencies), plus the `ruminate` block.

import type { ChoiceResult, RuminateExtras, RunResult } from '@ruminate/controller';
import type {
  ChatCompletion,
  ChatCompletionFinishReason,
  ChatCompletionTokenLogprob,
  Completion,
  CompletionUsage,
} from './openai-types.ts';
import type { StepTimes } from './step-timer.ts';

/** What a reply reports besides the run: its timing and the prompt tokens actually prefilled. */
export interface ReplyContext {
  /** Model id the reply names. */
  model: string;
  /** Prompt tokens computed for this request (the prompt less the prefix an earlier turn left in the KV cache). */
  prefilled: number;
  /** Step timings. */
  times: StepTimes;
  /** When the request arrived (performance.now() ms). */
  startMs: number;
  /** The request was interrupted (`interruptGenerate`): finish reasons say "abort". */
  aborted?: boolean;
}

/** The `ruminate` block of a reply. */
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

/** WebLLM's usage: completion tokens count every candidate's; speeds from the step timings. */
export function usageOf(r: RunResult, ctx: ReplyContext): CompletionUsage {
  const completion = r.usage.generatedTokens;
  const prefillS = ctx.times.prefillMs / 1000;
  const decodeS = ctx.times.decodeMs / 1000;
  // The first step also samples each candidate's first token; the rest are decode tokens.
  const decoded = Math.max(0, completion - r.usage.candidates);
  return {
    prompt_tokens: ctx.prefilled,
    completion_tokens: completion,
    total_tokens: ctx.prefilled + completion,
    extra: {
      e2e_latency_s: (performance.now() - ctx.startMs) / 1000,
      prefill_tokens_per_s: prefillS > 0 ? ctx.prefilled / prefillS : 0,
      decode_tokens_per_s: decodeS > 0 ? decoded / decodeS : 0,
      time_to_first_token_s: prefillS,
      time_per_output_token_s: decoded > 0 ? decodeS / decoded : 0,
    },
  };
}

/** A choice's log-probabilities in WebLLM's (OpenAI's chat) format, `top` alternatives each. */
export function chatLogprobsOf(c: ChoiceResult, top: number): ChatCompletionTokenLogprob[] | null {
  if (top < 0 || !c.logprobs) return null;
  return c.logprobs.map((l) => ({
    token: l.token,
    logprob: l.logprob,
    bytes: l.bytes,
    top_logprobs: l.top.slice(0, top).map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes })),
  }));
}

/** Why a choice ended, as WebLLM says it. */
export function finishOf(c: ChoiceResult, ctx: ReplyContext): ChatCompletionFinishReason {
  return ctx.aborted ? 'abort' : c.finishReason;
}

function replyId(): string {
  return globalThis.crypto?.randomUUID?.() ?? `ruminate-${Math.random().toString(36).slice(2)}`;
}

/** A chat reply from a run. */
export function toChatCompletion(r: RunResult, ctx: ReplyContext, top: number): ChatCompletion {
  return {
    id: replyId(),
    object: 'chat.completion',
    created: Date.now(),
    model: ctx.model,
    choices: r.choices.map((c, index) => {
      const content = chatLogprobsOf(c, top);
      return {
        index,
        finish_reason: finishOf(c, ctx),
        logprobs: content ? { content } : null,
        message: { role: 'assistant', content: c.text },
      };
    }),
    usage: usageOf(r, ctx),
    ruminate: extrasOf(r),
  };
}

/** A plain completion from a run; `echo` prepends the prompt text. */
export function toCompletion(r: RunResult, ctx: ReplyContext, top: number, echo?: string): Completion {
  return {
    id: replyId(),
    object: 'text_completion',
    created: Date.now(),
    model: ctx.model,
    choices: r.choices.map((c, index) => {
      const content = chatLogprobsOf(c, top);
      return {
        index,
        finish_reason: finishOf(c, ctx),
        logprobs: content ? { content } : null,
        text: (echo ?? '') + c.text,
      };
    }),
    usage: usageOf(r, ctx),
    ruminate: extrasOf(r),
  };
}
