// One loaded model of an MLCEngine: its Ruminate client, the chat turn its KV cache holds, the
// last reply and the speed statistics; it runs requests one at a time, as WebLLM does per model.

import {
  type LogprobEntry,
  logprobEntries,
  type RuminateClient,
  type RunResult,
  resolveRequestStrategy,
} from '@ruminate/controller';
import { isRuminateError, RuminateError } from '@ruminate/errors';
import type { ModelInfo, SeqId } from '@ruminate/runtime';
import type { ResolvedModel } from './app-config.ts';
import { AsyncQueue } from './async-queue.ts';
import { type ChatTurnState, chatPrompt, turnState } from './chat-prompt.ts';
import type { ChatOptions } from './config-types.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequestBase,
  ChatCompletionTokenLogprob,
  Completion,
  CompletionCreateParamsBase,
  RuminateChunkExtras,
} from './openai-types.ts';
import {
  chatLogprobsOf,
  extrasOf,
  finishOf,
  type ReplyContext,
  toChatCompletion,
  toCompletion,
  usageOf,
} from './reply-mapping.ts';
import { chatMessagesOf, type MappedRequest, mapRequest } from './request-mapping.ts';
import type { StepTimer } from './step-timer.ts';

/** Reads queued chunk promises in order (leaving the loop closes the queue, which stops the run). */
async function* inOrder<C>(queue: AsyncIterable<Promise<C>>): AsyncIterable<C> {
  for await (const chunk of queue) yield await chunk;
}

/** A controller log-probability entry in WebLLM's format. */
function toChatLogprob(l: LogprobEntry): ChatCompletionTokenLogprob {
  return {
    token: l.token,
    logprob: l.logprob,
    bytes: l.bytes,
    top_logprobs: l.top.map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes })),
  };
}

/** Speeds of the last request, for `runtimeStatsText`. */
interface RoundStats {
  prefillTokens: number;
  prefillMs: number;
  decodeTokens: number;
  decodeMs: number;
}

/** What a request needs from its engine: a signal that `interruptGenerate` aborts. */
export interface RequestControl {
  /** Aborted by `interruptGenerate`. */
  signal: AbortSignal;
  /** Called when the request is over (streams: when the last chunk is read). */
  done(): void;
}

/** A model loaded by `reload`, and everything kept about it between requests. */
export class ModelSlot {
  /** The chat turn whose KV the runtime holds (multi-round prefix reuse). */
  private turn: ChatTurnState | undefined;
  /** The last reply's kept choice, for `getMessage`. */
  lastMessage = '';
  private stats: RoundStats = { prefillTokens: 0, prefillMs: 0, decodeTokens: 0, decodeMs: 0 };
  private queue: Promise<unknown> = Promise.resolve();
  /** `forwardTokensAndSample`'s sequence, and the token it last sampled (already appended). */
  private raw: { seq: SeqId; sampled: number } | undefined;

  constructor(
    readonly resolved: ResolvedModel,
    readonly chatOpts: ChatOptions,
    readonly client: RuminateClient,
    readonly timer: StepTimer,
    readonly info: ModelInfo,
  ) {}

  /** The id replies carry. */
  get modelId(): string {
    return this.resolved.modelId;
  }

  /** Runs `task` after every earlier request of this model; `task` resolves `release` when it is over. */
  private exclusive<T>(task: (release: () => void) => Promise<T>): Promise<T> {
    let release!: () => void;
    const over = new Promise<void>((ok) => {
      release = ok;
    });
    const run = this.queue.then(() => task(release));
    this.queue = run.then(
      () => over,
      () => undefined,
    );
    return run;
  }

  /** Forgets the chat history (and, unless `keepStats`, the statistics). */
  async resetChat(keepStats: boolean): Promise<void> {
    this.turn = undefined;
    this.lastMessage = '';
    if (!keepStats) this.stats = { prefillTokens: 0, prefillMs: 0, decodeTokens: 0, decodeMs: 0 };
    if (this.raw) await this.timer.free(this.raw.seq);
    this.raw = undefined;
  }

  /** WebLLM's one-line summary of the last request's speeds. */
  runtimeStatsText(): string {
    const s = this.stats;
    const rate = (tokens: number, ms: number) => (ms > 0 ? (tokens * 1000) / ms : 0).toFixed(4);
    return `prefill: ${rate(s.prefillTokens, s.prefillMs)} tokens/sec, decoding: ${rate(s.decodeTokens, s.decodeMs)} tokens/sec`;
  }

  private async chatMapped(request: ChatCompletionRequestBase): Promise<{
    mapped: MappedRequest;
    prompt: number[];
    reused: number;
    messages: ReturnType<typeof chatMessagesOf>;
  }> {
    const messages = chatMessagesOf(request);
    const { tokens, reused } = await chatPrompt(this.timer, messages, this.turn);
    const mapped = mapRequest(request, tokens, this.info.contextLength, this.chatOpts);
    return { mapped, prompt: tokens, reused, messages };
  }

  private async textMapped(
    request: CompletionCreateParamsBase,
  ): Promise<{ mapped: MappedRequest; prompt: number[] }> {
    if (typeof request.prompt !== 'string') {
      throw new RuminateError('invalid-argument', 'prompt must be a string.', { field: 'prompt' });
    }
    const prompt = await this.timer.tokenize(request.prompt, { addBos: true });
    return { mapped: mapRequest(request, prompt, this.info.contextLength, this.chatOpts), prompt };
  }

  /** Records what a finished request leaves: the kept reply, the chat turn, the speeds. */
  private finish(
    r: RunResult,
    ctx: ReplyContext,
    chat?: { messages: ChatTurnState['messages']; prompt: number[] },
  ): void {
    const kept = r.choices.at(-1);
    this.lastMessage = kept?.text ?? '';
    const endedOnEos = r.trace.find((c) => c.id === kept?.candidate)?.finishReason === 'eos';
    this.turn = chat && kept ? turnState(chat.messages, chat.prompt, kept, endedOnEos) : undefined;
    const t = ctx.times;
    this.stats = {
      prefillTokens: ctx.prefilled,
      prefillMs: t.prefillMs,
      decodeTokens: Math.max(0, r.usage.generatedTokens - r.usage.candidates),
      decodeMs: t.decodeMs,
    };
  }

  private context(prefilled: number, startMs: number): ReplyContext {
    return { model: this.modelId, prefilled, times: this.timer.requestTimes(), startMs };
  }

  /** A chat request, answered at once. */
  chat(request: ChatCompletionRequestBase, control: RequestControl): Promise<ChatCompletion> {
    return this.exclusive(async (release) => {
      try {
        const startMs = performance.now();
        const { mapped, prompt, reused, messages } = await this.chatMapped(request);
        this.timer.startRequest();
        const r = await this.client.run(mapped.run, { signal: control.signal });
        const ctx = this.context(prompt.length - reused, startMs);
        this.finish(r, ctx, { messages, prompt });
        return toChatCompletion(r, ctx, mapped.topLogprobs);
      } finally {
        control.done();
        release();
      }
    });
  }

  /** A plain completion, answered at once. */
  complete(request: CompletionCreateParamsBase, control: RequestControl): Promise<Completion> {
    return this.exclusive(async (release) => {
      try {
        const startMs = performance.now();
        const { mapped, prompt } = await this.textMapped(request);
        this.timer.startRequest();
        const r = await this.client.run(mapped.run, { signal: control.signal });
        const ctx = this.context(prompt.length, startMs);
        this.finish(r, ctx);
        return toCompletion(r, ctx, mapped.topLogprobs, request.echo ? request.prompt : undefined);
      } finally {
        control.done();
        release();
      }
    });
  }

  /** A chat request, answered as a stream of chunks (WebLLM's order: deltas, a finish chunk, then usage). */
  chatStream(
    request: ChatCompletionRequestBase,
    control: RequestControl,
  ): Promise<AsyncIterable<ChatCompletionChunk>> {
    const id = globalThis.crypto?.randomUUID?.() ?? `chatcmpl-${Date.now()}`;
    const created = Date.now();
    const chunk = (
      choices: ChatCompletionChunk['choices'],
      extra: Partial<ChatCompletionChunk> = {},
    ): ChatCompletionChunk => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: this.modelId,
      choices,
      ...extra,
    });
    return this.streamed(
      request,
      control,
      async () => {
        const m = await this.chatMapped(request);
        return { ...m, chat: { messages: m.messages, prompt: m.prompt } };
      },
      {
        delta: (index, text, first, logprobs, ruminate) =>
          chunk(
            index === undefined
              ? []
              : [
                  {
                    index,
                    delta: first ? { role: 'assistant', content: text } : { content: text },
                    finish_reason: null,
                    logprobs: logprobs ? { content: logprobs } : null,
                  },
                ],
            ruminate ? { ruminate } : {},
          ),
        finish: (r, ctx, direct, top) =>
          chunk(
            r.choices.map((c, index) => {
              // Sampled choices carried theirs on each delta; a strategy's answer carries its own here.
              const content = direct ? null : chatLogprobsOf(c, top);
              return {
                index,
                delta: direct ? {} : { role: 'assistant', content: c.text },
                finish_reason: finishOf(c, ctx),
                logprobs: content ? { content } : null,
              };
            }),
          ),
        usage: (r, ctx) => chunk([], { usage: usageOf(r, ctx), ruminate: extrasOf(r) }),
        aborted: () => chunk([{ index: 0, delta: {}, finish_reason: 'abort', logprobs: null }]),
      },
    );
  }

  /** A plain completion, answered as a stream of `Completion` chunks. */
  completeStream(
    request: CompletionCreateParamsBase,
    control: RequestControl,
  ): Promise<AsyncIterable<Completion>> {
    const id = globalThis.crypto?.randomUUID?.() ?? `cmpl-${Date.now()}`;
    const created = Date.now();
    const chunk = (choices: Completion['choices'], extra: Partial<Completion> = {}): Completion => ({
      id,
      object: 'text_completion',
      created,
      model: this.modelId,
      choices,
      ...extra,
    });
    return this.streamed(request, control, async () => ({ ...(await this.textMapped(request)), reused: 0 }), {
      delta: (index, text, _first, logprobs, ruminate) =>
        chunk(
          index === undefined
            ? []
            : [{ index, text, finish_reason: null, logprobs: logprobs ? { content: logprobs } : null }],
          ruminate ? { ruminate } : {},
        ),
      finish: (r, ctx, direct, top) =>
        chunk(
          r.choices.map((c, index) => {
            const content = direct ? null : chatLogprobsOf(c, top);
            return {
              index,
              text: direct ? '' : c.text,
              finish_reason: finishOf(c, ctx),
              logprobs: content ? { content } : null,
            };
          }),
        ),
      usage: (r, ctx) => chunk([], { usage: usageOf(r, ctx), ruminate: extrasOf(r) }),
      aborted: () => chunk([{ index: 0, text: '', finish_reason: 'abort', logprobs: null }]),
    });
  }

  /** The streaming loop shared by chat and plain completions. */
  private streamed<C>(
    request: { stream_options?: { include_usage?: boolean } | null },
    control: RequestControl,
    map: () => Promise<{
      mapped: MappedRequest;
      prompt: number[];
      reused: number;
      chat?: { messages: ChatTurnState['messages']; prompt: number[] };
    }>,
    make: {
      delta: (
        index: number | undefined,
        text: string,
        first: boolean,
        logprobs: ChatCompletionTokenLogprob[] | null,
        ruminate?: RuminateChunkExtras,
      ) => C;
      finish: (r: RunResult, ctx: ReplyContext, direct: boolean, top: number) => C;
      usage: (r: RunResult, ctx: ReplyContext) => C;
      aborted: () => C;
    },
  ): Promise<AsyncIterable<C>> {
    return this.exclusive(async (release) => {
      const over = () => {
        control.done();
        release();
      };
      let mapped: Awaited<ReturnType<typeof map>>;
      try {
        mapped = await map();
      } catch (e) {
        over();
        throw e;
      }
      const startMs = performance.now();
      const direct = ['greedy', 'sample'].includes(resolveRequestStrategy(mapped.mapped.run).definition.name);
      // A reader that stops early aborts the run (its sequences are freed), as does interruptGenerate.
      const ctrl = new AbortController();
      // Chunks queue as promises (a delta's log-probabilities need its tokens' texts), read in order.
      const queue = new AsyncQueue<Promise<C>>(() => ctrl.abort(new Error('stream closed by the reader')));
      const top = direct ? mapped.mapped.topLogprobs : -1;
      const reported = new Map<number, number>(); // tokens of each candidate whose log-probabilities were sent
      const abort = () => ctrl.abort(control.signal.reason);
      if (control.signal.aborted) abort();
      control.signal.addEventListener('abort', abort, { once: true });
      const seen = new Set<number>();
      const texts = new Map<number, string>();
      this.timer.startRequest();
      this.client
        .run(mapped.mapped.run, {
          signal: ctrl.signal,
          onDelta: (c, d, detokenize) => {
            const first = !seen.has(c.id);
            seen.add(c.id);
            texts.set(c.id, (texts.get(c.id) ?? '') + d);
            const from = reported.get(c.id) ?? 0;
            const to = c.tokens?.length ?? 0;
            reported.set(c.id, to);
            const entries =
              top >= 0 && detokenize && c.tokens && c.logprobs && c.topLogprobs
                ? logprobEntries(
                    detokenize,
                    { tokens: c.tokens, logprobs: c.logprobs, topLogprobs: c.topLogprobs },
                    top,
                    from,
                    to,
                  ).then((l) => l.map(toChatLogprob))
                : Promise.resolve(null);
            const extras = direct ? undefined : { candidate: c.id, parent: c.parent, delta: d };
            queue.push(entries.then((l) => make.delta(direct ? c.id - 1 : undefined, d, first, l, extras)));
          },
        })
        .then(
          (r) => {
            const ctx = this.context(mapped.prompt.length - mapped.reused, startMs);
            this.finish(r, ctx, mapped.chat);
            queue.push(Promise.resolve(make.finish(r, ctx, direct, mapped.mapped.topLogprobs)));
            if (request.stream_options?.include_usage) queue.push(Promise.resolve(make.usage(r, ctx)));
            queue.end();
          },
          (e: unknown) => {
            // interruptGenerate ends a stream as WebLLM's does: a last chunk whose finish reason is "abort".
            if (isRuminateError(e, 'aborted') && control.signal.aborted) {
              const text = [...texts.values()].at(-1) ?? '';
              this.lastMessage = text;
              this.turn = undefined;
              queue.push(Promise.resolve(make.aborted()));
              queue.end();
            } else queue.fail(e);
          },
        )
        .finally(() => {
          control.signal.removeEventListener('abort', abort);
          over();
        });
      return inOrder(queue);
    });
  }

  /** WebLLM's low-level step: forward `inputIds` (a new sequence when `isPrefill`) and sample one token. */
  forwardTokensAndSample(inputIds: number[], isPrefill: boolean): Promise<number> {
    return this.exclusive(async (release) => {
      try {
        if (isPrefill || !this.raw) {
          if (this.raw) await this.timer.free(this.raw.seq);
          this.raw = { seq: await this.timer.createSequence(inputIds), sampled: -1 };
        } else {
          // The step already appended the token it sampled; the caller sends it back as input.
          const rest = inputIds[0] === this.raw.sampled ? inputIds.slice(1) : inputIds;
          if (rest.length > 0) await this.timer.append(this.raw.seq, rest);
        }
        const temperature = typeof this.chatOpts.temperature === 'number' ? this.chatOpts.temperature : 1;
        const sampling =
          typeof this.chatOpts.top_p === 'number'
            ? { temperature, topP: this.chatOpts.top_p }
            : { temperature };
        const [r] = await this.timer.step([{ seq: this.raw.seq, sampling }]);
        this.raw.sampled = r?.token ?? -1;
        return this.raw.sampled;
      } finally {
        release();
      }
    });
  }
}
