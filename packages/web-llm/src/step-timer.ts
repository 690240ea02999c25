// An Engine that forwards every call to another and times its steps, for WebLLM's usage
// `extra` (prefill and decode tokens/s, time to first token). The first step of a request
// computes the prompt (prefill) and samples the first token; every later step decodes.

import type {
  ChatMessage,
  Engine,
  LoadOptions,
  MemoryReport,
  ModelInfo,
  ModelSource,
  SeqId,
  StepRequest,
  StepResult,
} from '@ruminate/runtime';

/** Step timings of one request. */
export interface StepTimes {
  /** Wall-clock ms of the first step (prefill and first token), 0 when none ran. */
  prefillMs: number;
  /** Wall-clock ms of every later step. */
  decodeMs: number;
  /** Steps taken. */
  steps: number;
}

/** Forwards to `inner` and times `step`; `startRequest` begins a new request's times. */
export class StepTimer implements Engine {
  private times: StepTimes = { prefillMs: 0, decodeMs: 0, steps: 0 };

  constructor(readonly inner: Engine) {}

  /** Starts timing a new request. */
  startRequest(): void {
    this.times = { prefillMs: 0, decodeMs: 0, steps: 0 };
  }

  /** Times of the request since `startRequest`. */
  requestTimes(): StepTimes {
    return { ...this.times };
  }

  /** One step, timed. */
  async step(batch: StepRequest[]): Promise<StepResult[]> {
    const t0 = performance.now();
    const out = await this.inner.step(batch);
    const ms = performance.now() - t0;
    if (this.times.steps === 0) this.times.prefillMs += ms;
    else this.times.decodeMs += ms;
    this.times.steps++;
    return out;
  }

  /** Forwarded. */
  load(source: ModelSource, opts?: LoadOptions): Promise<ModelInfo> {
    return this.inner.load(source, opts);
  }
  /** Forwarded. */
  tokenize(text: string, opts?: { special?: boolean; addBos?: boolean }): Promise<number[]> {
    return this.inner.tokenize(text, opts);
  }
  /** Forwarded. */
  detokenize(ids: number[]): Promise<string> {
    return this.inner.detokenize(ids);
  }
  /** Forwarded. */
  applyChatTemplate(messages: ChatMessage[], opts?: { addGenerationPrompt?: boolean }): Promise<number[]> {
    return this.inner.applyChatTemplate(messages, opts);
  }
  /** Forwarded. */
  createSequence(prompt: number[]): Promise<SeqId> {
    return this.inner.createSequence(prompt);
  }
  /** Forwarded. */
  fork(seq: SeqId, count: number): Promise<SeqId[]> {
    return this.inner.fork(seq, count);
  }
  /** Forwarded. */
  truncate(seq: SeqId, length: number): Promise<void> {
    return this.inner.truncate(seq, length);
  }
  /** Forwarded. */
  append(seq: SeqId, tokens: number[]): Promise<void> {
    return this.inner.append(seq, tokens);
  }
  /** Forwarded. */
  free(seq: SeqId): Promise<void> {
    return this.inner.free(seq);
  }
  /** Forwarded. */
  tokens(seq: SeqId): Promise<number[]> {
    return this.inner.tokens(seq);
  }
  /** Forwarded. */
  memory(): Promise<MemoryReport> {
    return this.inner.memory();
  }
  /** Forwarded. */
  info(): Promise<ModelInfo | undefined> {
    return this.inner.info();
  }
  /** Forwarded. */
  unload(): Promise<void> {
    return this.inner.unload();
  }
}
