// WebLLM's engine behind Ruminate's strategies: `fromWebLLM(engine)` is a Ruminate client whose
// samples come from a WebLLM MLCEngine (its `n`, `seed` and `logprobs`) through the controller's
// CompletionApi, so self-consistency, best-of-N and the searches run over WebLLM's prebuilt MLC
// models. WebLLM has no KV fork: a branch that continues generated text re-sends it (plain
// prompts only; WebLLM's chat API cannot continue an assistant message), and the trace says so.

import {
  type ApiToken,
  type CompletionApi,
  type CompletionApiEvent,
  type CompletionApiRequest,
  type CreateEngineOptions,
  createEngine,
  type RuminateClient,
} from '@ruminate/controller';
import { RuminateError } from '@ruminate/errors';
import type { ChatMessage } from '@ruminate/runtime';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionFinishReason,
  ChatCompletionMessageParam,
  ChatCompletionRequestBase,
  ChatCompletionTokenLogprob,
  Completion,
  CompletionCreateParamsBase,
  CompletionUsage,
} from './openai-types.ts';

/** What `fromWebLLM` uses of WebLLM's `MLCEngineInterface` (every WebLLM engine has it). */
export interface WebLLMEngineLike {
  /** WebLLM's chat completion (streaming or not). */
  chatCompletion(
    request: ChatCompletionRequestBase,
  ): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
  /** WebLLM's plain completion (streaming or not). */
  completion(request: CompletionCreateParamsBase): Promise<AsyncIterable<Completion> | Completion>;
  /** Stops the generation in flight. */
  interruptGenerate(): void;
}

/** WebLLM caps `top_logprobs` at 5. */
const WEBLLM_MAX_TOP_LOGPROBS = 5;

function unsupported(field: string, what: string): RuminateError {
  return new RuminateError('unsupported-feature', `${what} is not available through WebLLM's engine.`, {
    field,
  });
}

/** The sampling fields of a WebLLM request for one CompletionApi call. */
function samplingFields(req: CompletionApiRequest): Omit<CompletionCreateParamsBase, 'prompt'> {
  const s = req.sampling;
  if (s.topK !== undefined && s.topK > 0) throw unsupported('top_k', 'top_k');
  if (s.minP !== undefined && s.minP > 0) throw unsupported('min_p', 'min_p');
  const out: Omit<CompletionCreateParamsBase, 'prompt'> = {
    n: req.n,
    max_tokens: req.maxTokens,
    temperature: s.temperature,
    logprobs: true,
    top_logprobs: Math.min(req.topLogprobs, WEBLLM_MAX_TOP_LOGPROBS),
  };
  if (s.topP !== undefined) out.top_p = s.topP;
  if (s.repetitionPenalty !== undefined) out.repetition_penalty = s.repetitionPenalty;
  if (s.frequencyPenalty !== undefined) out.frequency_penalty = s.frequencyPenalty;
  if (s.presencePenalty !== undefined) out.presence_penalty = s.presencePenalty;
  if (s.seed !== undefined) out.seed = s.seed;
  if (req.stop.length > 0) out.stop = [...req.stop];
  if (s.bannedTokens?.length)
    out.logit_bias = Object.fromEntries(s.bannedTokens.map((t) => [String(t), -100]));
  return out;
}

/** A Ruminate chat message as WebLLM's message param. */
function webllmMessage(m: ChatMessage): ChatCompletionMessageParam {
  if (m.role === 'tool') return { role: 'tool', content: m.content, tool_call_id: '' };
  return { role: m.role, content: m.content } as ChatCompletionMessageParam;
}

/** Tokens of a choice: its log-probability entries, or (when the engine reports none) its text as one token. */
function tokensOf(logprobs: ChatCompletionTokenLogprob[] | null | undefined, text: string): ApiToken[] {
  if (logprobs && logprobs.length > 0) {
    return logprobs.map((l) => ({
      text: l.token,
      logprob: l.logprob,
      top: l.top_logprobs.map((t) => ({ text: t.token, logprob: t.logprob })),
    }));
  }
  return text ? [{ text, logprob: Number.NaN, top: [] }] : [];
}

/** WebLLM's finish reason as the CompletionApi's (WebLLM says "stop" for EOS and stop strings alike). */
function finishOf(
  reason: ChatCompletionFinishReason | null,
  stops: readonly string[],
): 'eos' | 'stop' | 'length' {
  if (reason === 'length' || reason === 'abort') return 'length';
  return stops.length > 0 ? 'stop' : 'eos';
}

function usageEvent(u: CompletionUsage | undefined): CompletionApiEvent[] {
  return u ? [{ type: 'usage', promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens }] : [];
}

function isIterable<T>(x: unknown): x is AsyncIterable<T> {
  return typeof (x as AsyncIterable<T>)?.[Symbol.asyncIterator] === 'function';
}

/** The CompletionApi over a WebLLM engine (one call at a time, as WebLLM serves them). */
export class WebLLMCompletionApi implements CompletionApi {
  constructor(
    private readonly engine: WebLLMEngineLike,
    readonly name = 'webllm',
  ) {}

  /** Streams `request.n` continuations: one streamed WebLLM call for n = 1, else one call with `n`, all at the end. */
  async *complete(req: CompletionApiRequest, signal: AbortSignal): AsyncIterable<CompletionApiEvent> {
    const fields = samplingFields(req);
    const stopEngine = () => this.engine.interruptGenerate();
    signal.addEventListener('abort', stopEngine, { once: true });
    try {
      let reply: unknown;
      if ('messages' in req.prompt) {
        if (req.continuation !== '') {
          throw unsupported(
            'messages',
            "Continuing generated text of a chat (WebLLM's chat API cannot continue an assistant message): use a plain prompt for step-wise strategies",
          );
        }
        const { n: _n, ...rest } = fields;
        const chat: ChatCompletionRequestBase = { ...rest, messages: req.prompt.messages.map(webllmMessage) };
        reply =
          req.n === 1
            ? await this.engine.chatCompletion({
                ...chat,
                stream: true,
                stream_options: { include_usage: true },
              })
            : await this.engine.chatCompletion({ ...chat, n: req.n, stream: false });
      } else {
        const text: CompletionCreateParamsBase = { ...fields, prompt: req.prompt.text + req.continuation };
        reply =
          req.n === 1
            ? await this.engine.completion({ ...text, stream: true, stream_options: { include_usage: true } })
            : await this.engine.completion({ ...text, stream: false });
      }
      if (isIterable<ChatCompletionChunk | Completion>(reply)) {
        for await (const chunk of reply) {
          if (signal.aborted) return;
          for (const c of chunk.choices) {
            const text = 'delta' in c ? (c.delta.content ?? '') : c.text;
            for (const token of tokensOf(c.logprobs?.content, text))
              yield { type: 'token', index: c.index, token };
            if (c.finish_reason)
              yield { type: 'finish', index: c.index, reason: finishOf(c.finish_reason, req.stop) };
          }
          yield* usageEvent(chunk.usage);
        }
        return;
      }
      const whole = reply as ChatCompletion | Completion;
      for (const c of whole.choices) {
        const text = 'message' in c ? (c.message.content ?? '') : c.text;
        for (const token of tokensOf(c.logprobs?.content, text))
          yield { type: 'token', index: c.index, token };
        yield { type: 'finish', index: c.index, reason: finishOf(c.finish_reason, req.stop) };
      }
      yield* usageEvent(whole.usage);
    } finally {
      signal.removeEventListener('abort', stopEngine);
    }
  }
}

/** Options of `fromWebLLM`: the client's other options (profile, speed cache, …). */
export type FromWebLLMOptions = Omit<
  CreateEngineOptions,
  'api' | 'remote' | 'engine' | 'model' | 'load' | 'draft'
> & {
  /** Name in errors and the trace (default "webllm"). */
  name?: string;
};

/**
 * A Ruminate client over a WebLLM engine: `strategy: 'sc@8'`, best-of-N and the searches run here,
 * their samples in WebLLM (`n`, `seed`, `logprobs`). Not run against a real MLC model in this
 * repository (none can be compiled or downloaded here); tested against a scripted engine typed by
 * WebLLM's `MLCEngineInterface`.
 */
export function fromWebLLM(
  engine: WebLLMEngineLike,
  options: FromWebLLMOptions = {},
): Promise<RuminateClient> {
  const { name, ...rest } = options;
  return createEngine({ ...rest, api: new WebLLMCompletionApi(engine, name) });
}
