// The Generator over a `CompletionApi` (completion-api.ts): an engine with no token step and no
// KV cache the controller can fork, such as an OpenAI-compatible server or WebLLM. A fork copies
// the branch here and nothing on the API's side; every call re-sends the prompt and the branch's
// text so far as `continuation` (servers with prefix caching, such as vLLM and llama-server,
// make that cheap), and the trace says so. Branches that hold the same text (fresh forks of one
// parent) share one call with `n` continuations. Tokens stream back, and the same rules as the
// EngineGenerator apply to each as it arrives — stop strings, reasoning-step pauses, `pauseAt`,
// `shouldStop`, the run's budget; once every branch of a call has paused or ended the call is
// aborted, and tokens that arrived past a pause are dropped.
//
// Token ids: the API reports token texts, not ids, so each distinct text gets a local id (a
// vocabulary of the run's own); `detokenize` maps ids back, so strategies and verifiers that count,
// compare or decode tokens work unchanged. The API reports no full distributions, so when a
// scorer wants self-certainty it gets the top-k confidence (−mean top log-probability, DeepConf's
// token confidence) in its place, and the trace says so.

import { RuminateError } from '@ruminate/errors';
import type { SamplingParams, StepWants } from '@ruminate/runtime';
import { Branch, type FinishReason } from './branch.ts';
import type { ApiPrompt, ApiToken, CompletionApi, CompletionApiRequest } from './completion-api.ts';
import type { EngineGeneratorOptions } from './engine-generator.ts';
import { mixSeed } from './seeds.ts';
import { findStepEnd, findStop, stableLength } from './stop-strings.ts';
import { Trace } from './trace.ts';
import type { DeltaListener, ExtendUntil, Generator, GeneratorUsage } from './types.ts';

/**
 * How to build a CompletionApiGenerator: the EngineGenerator's options (self-certainty in `want`
 * is approximated, see the file comment; `signal` also cancels every call in flight). A server's
 * output is not constrained token by token, so there is no `constraint`.
 */
export type CompletionApiGeneratorOptions = Omit<EngineGeneratorOptions, 'constraint'>;

/** One branch's progress within one API call. */
interface Slot {
  branch: Branch;
  fromTokens: number;
  fromText: number;
  done: boolean;
}

/** What one `extend` call pauses at. */
interface Pauses {
  delimiter: string | undefined;
  until: ExtendUntil;
}

/** The Generator implementation over a CompletionApi; see the file comment. */
export class CompletionApiGenerator implements Generator {
  readonly trace: Trace;
  readonly delimiter: string;
  readonly maxTokens: number;
  readonly want: StepWants;
  private readonly api: CompletionApi;
  private readonly prompt: ApiPrompt;
  private readonly sampling: SamplingParams;
  private readonly stops: readonly string[];
  private readonly seed: number;
  private readonly signal: AbortSignal | undefined;
  private readonly limits: { deadlineMs?: number; tokens?: number };
  private readonly now: () => number;
  private readonly onDelta: DeltaListener | undefined;
  private readonly branches = new Map<number, Branch>();
  private readonly vocab = new Map<string, number>();
  private readonly pieces: string[] = [];
  private nextId = 0;
  private calls = 0;
  private resentChars = 0;
  private readonly stats: GeneratorUsage = {
    promptTokens: 0,
    generatedTokens: 0,
    stepCalls: 0,
    forks: 0,
    maxBatch: 0,
    candidates: 0,
  };

  constructor(api: CompletionApi, prompt: ApiPrompt, opts: CompletionApiGeneratorOptions) {
    this.api = api;
    this.prompt = prompt;
    this.sampling = opts.sampling;
    this.maxTokens = opts.maxTokens;
    this.stops = opts.stop ?? [];
    this.delimiter = opts.delimiter ?? '\n\n';
    this.want = opts.want ?? {};
    this.seed = opts.seed >>> 0;
    this.signal = opts.signal;
    this.limits = opts.limits ?? {};
    this.now = opts.now ?? (() => performance.now());
    this.onDelta = opts.onDelta;
    this.trace = opts.trace ?? new Trace(this.now);
  }

  /** The API's name (for reports). */
  get apiName(): string {
    return this.api.name;
  }

  /** API calls made and prefix characters re-sent (forks and paused branches re-send their text). */
  apiStats(): { calls: number; resentChars: number } {
    return { calls: this.calls, resentChars: this.resentChars };
  }

  checkAbort(): void {
    if (this.signal?.aborted) {
      throw new RuminateError('aborted', 'The request was aborted; every call in flight was cancelled.', {
        cause: this.signal.reason,
      });
    }
  }

  budgetSpent(): string | undefined {
    if (this.limits.deadlineMs !== undefined && this.now() >= this.limits.deadlineMs)
      return 'latency budget reached';
    if (this.limits.tokens !== undefined && this.stats.generatedTokens >= this.limits.tokens)
      return 'token budget reached';
    return undefined;
  }

  /** The root branch of the generator's prompt (its token ids, if any, are not needed: the API takes the prompt itself). */
  async create(_prompt?: number[]): Promise<Branch> {
    this.checkAbort();
    const root = new Branch(this.nextId++, null, this.seed, 0, true);
    this.branches.set(root.id, root);
    return root;
  }

  async fork(branch: Branch, count: number): Promise<Branch[]> {
    this.checkAbort();
    if (count <= 0) return [];
    const live = branch.seq !== undefined && !branch.finished;
    if (live) this.stats.forks += count;
    const children: Branch[] = [];
    for (let i = 0; i < count; i++) {
      const id = this.nextId++;
      const child = branch.copyInto(
        new Branch(id, branch.isRoot ? null : branch.id, mixSeed(this.seed, id), live ? id : undefined),
      );
      this.branches.set(id, child);
      this.stats.candidates++;
      const rec = this.trace.add(id, child.parent, child.seed);
      rec.tokens = child.tokens;
      rec.stepScores = child.stepScores;
      if (branch.isRoot) this.trace.event(id, 'created', this.createdNote());
      else
        this.trace.event(
          id,
          'forked',
          `from ${branch.id}; ${this.api.name} has no KV fork, so its ${branch.text.length}-character prefix is re-sent`,
        );
      children.push(child);
    }
    return children;
  }

  async forkAt(branch: Branch, keep: number): Promise<Branch> {
    this.checkAbort();
    const k = Math.max(0, Math.min(Math.floor(keep), branch.tokens.length));
    const id = this.nextId++;
    const child = new Branch(id, branch.isRoot ? null : branch.id, mixSeed(this.seed, id), id);
    child.tokens = branch.tokens.slice(0, k);
    child.logprobs = branch.logprobs.slice(0, k);
    child.topLogprobs = branch.topLogprobs.slice(0, k);
    child.confidences = branch.confidences.slice(0, k);
    child.selfCertainty = branch.selfCertainty.slice(0, k);
    child.entropy = branch.entropy.slice(0, k);
    child.generated = k;
    // Token texts are this generator's own vocabulary: the first k pieces are the kept text.
    child.text = await this.detokenize(child.tokens);
    for (let end = findStepEnd(child.openStep, this.delimiter); end >= 0; ) {
      child.steps.push(child.openStep.slice(0, end));
      child.stepStart += end;
      end = findStepEnd(child.openStep, this.delimiter);
    }
    this.branches.set(id, child);
    this.stats.forks++;
    this.stats.candidates++;
    const rec = this.trace.add(id, child.parent, child.seed);
    rec.tokens = child.tokens;
    rec.stepScores = child.stepScores;
    this.trace.event(
      id,
      'forked',
      `from ${branch.id}, keeping ${k} of its ${branch.tokens.length} tokens; ${this.api.name} has no KV fork, so the ${child.text.length}-character prefix is re-sent`,
    );
    return child;
  }

  async extend(branches: readonly Branch[], until: ExtendUntil = {}): Promise<void> {
    const live = branches.filter((b) => !b.finished && b.seq !== undefined);
    if (live.length === 0) return;
    this.checkAbort();
    const pauses: Pauses = {
      delimiter: until.delimiter === true ? this.delimiter : until.delimiter || undefined,
      until,
    };
    this.stats.maxBatch = Math.max(this.stats.maxBatch, live.length);
    // Branches holding the same text are interchangeable prefixes: one call with n continuations.
    const groups = new Map<string, Branch[]>();
    for (const b of live) {
      const key = `${b.tokens.length}\u0000${b.text}`;
      const g = groups.get(key);
      if (g) g.push(b);
      else groups.set(key, [b]);
    }
    const cancel = new AbortController();
    const outcomes = await Promise.allSettled(
      [...groups.values()].map((g) =>
        this.extendGroup(g, pauses, until.sampling ?? this.sampling, cancel.signal).catch((e: unknown) => {
          cancel.abort(e); // one failed call cancels its siblings
          throw e;
        }),
      ),
    );
    this.checkAbort();
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async prune(branch: Branch, reason: string): Promise<void> {
    if (!branch.finished) branch.finishReason = 'pruned';
    this.trace.event(branch.id, 'pruned', reason);
    await this.free(branch);
  }

  async free(branches: Branch | readonly Branch[]): Promise<void> {
    const list = Array.isArray(branches) ? branches : [branches as Branch];
    for (const b of list) b.seq = undefined;
  }

  async freeAll(): Promise<void> {
    for (const b of this.branches.values()) {
      b.seq = undefined;
      this.syncTrace(b);
    }
  }

  usage(): GeneratorUsage {
    return { ...this.stats };
  }

  async detokenize(ids: number[]): Promise<string> {
    return ids.map((id) => this.pieces[id] ?? '').join('');
  }

  /** Every branch created (the root included), by id. */
  all(): Branch[] {
    return [...this.branches.values()];
  }

  /** One API call for branches with the same text; resolves when each has paused or ended. */
  private async extendGroup(
    group: Branch[],
    pauses: Pauses,
    sampling: SamplingParams,
    cancel: AbortSignal,
  ): Promise<void> {
    const first = group[0] as Branch;
    const left = this.maxTokens - first.tokens.length;
    const spent = this.budgetSpent();
    if (left <= 0 || spent !== undefined) {
      for (const b of group) {
        if (spent !== undefined) this.trace.event(b.id, 'stopped', spent);
        this.finish(b, 'length');
      }
      return;
    }
    const slots: Slot[] = group.map((b) => ({
      branch: b,
      fromTokens: b.tokens.length,
      fromText: b.text.length,
      done: false,
    }));
    const request: CompletionApiRequest = {
      prompt: this.prompt,
      continuation: first.text,
      n: group.length,
      maxTokens: Math.min(left, pauses.until.tokens ?? left),
      sampling: { ...sampling, seed: first.seed },
      stop: this.stops,
      topLogprobs: this.want.topLogprobs ?? (this.want.selfCertainty ? 5 : 0),
    };
    this.calls++;
    this.stats.stepCalls++;
    this.resentChars += first.text.length;
    const call = new AbortController();
    const onAbort = () => call.abort(this.signal?.reason ?? cancel.reason);
    this.signal?.addEventListener('abort', onAbort, { once: true });
    cancel.addEventListener('abort', onAbort, { once: true });
    if (this.signal?.aborted || cancel.aborted) onAbort();
    let open = slots.length;
    try {
      for await (const ev of this.api.complete(request, call.signal)) {
        if (ev.type === 'usage') {
          if (this.stats.promptTokens === 0) this.stats.promptTokens = ev.promptTokens;
          continue;
        }
        const slot = slots[ev.index];
        if (!slot) {
          throw new RuminateError(
            'remote-malformed',
            `${this.api.name} returned choice ${ev.index} for a call that asked for ${slots.length}.`,
          );
        }
        if (slot.done) continue;
        slot.done =
          ev.type === 'token' ? this.accept(slot, ev.token, pauses) : this.finish(slot.branch, ev.reason);
        if (slot.done && --open === 0) break;
      }
    } catch (e) {
      if (open > 0 || !call.signal.aborted) throw e;
    } finally {
      this.signal?.removeEventListener('abort', onAbort);
      cancel.removeEventListener('abort', onAbort);
      call.abort(); // stops generation the API may still be doing for paused continuations
    }
    this.checkAbort();
    if (cancel.aborted) return;
    const lost = slots.findIndex((s) => !s.done);
    if (lost >= 0) {
      throw new RuminateError(
        'remote-malformed',
        `${this.api.name} ended its reply before choice ${lost} finished (a truncated stream); retry, or check the server's logs.`,
      );
    }
  }

  /** Applies one streamed token to its branch (the EngineGenerator's rules); true once the branch paused or ended. */
  private accept(slot: Slot, token: ApiToken, pauses: Pauses): boolean {
    const b = slot.branch;
    b.generated++;
    this.stats.generatedTokens++;
    this.trace.runTokens = this.stats.generatedTokens;
    b.tokens.push(this.idOf(token.text));
    b.logprobs.push(token.logprob);
    const top = token.top.map((t) => ({ token: this.idOf(t.text), logprob: t.logprob }));
    b.topLogprobs.push(top);
    if (top.length > 0) {
      const confidence = -top.reduce((a, t) => a + t.logprob, 0) / top.length;
      b.confidences.push(confidence);
      if (this.want.selfCertainty) b.selfCertainty.push(confidence);
    }
    const prev = b.text.length;
    const decoded = b.text + token.text;
    const stop = findStop(decoded, this.stops, prev);
    b.text = stop ? decoded.slice(0, stop.index) : decoded;
    if (stop) return this.finish(b, 'stop');
    if (b.tokens.length >= this.maxTokens) return this.finish(b, 'length');
    const reason = pauses.until.shouldStop?.(b);
    if (reason !== undefined) {
      this.trace.event(b.id, 'stopped', reason);
      return this.finish(b, 'pruned');
    }
    let paused = false;
    const delimiter = pauses.delimiter ?? this.delimiter;
    for (let end = findStepEnd(b.openStep, delimiter); end >= 0; end = findStepEnd(b.openStep, delimiter)) {
      b.steps.push(b.openStep.slice(0, end));
      b.stepStart += end;
      if (pauses.delimiter !== undefined) paused = true;
    }
    const { until } = pauses;
    if (until.pauseAt && findStop(b.text.slice(slot.fromText), until.pauseAt, 0)) paused = true;
    if (until.tokens !== undefined && b.tokens.length - slot.fromTokens >= until.tokens) paused = true;
    const spent = this.budgetSpent();
    if (spent !== undefined) {
      this.trace.event(b.id, 'stopped', spent);
      return this.finish(b, 'length');
    }
    this.emit(b, stableLength(b.text, this.stops));
    return paused;
  }

  private createdNote(): string | undefined {
    if (!this.want.selfCertainty) return undefined;
    return `${this.api.name} reports no full distribution: self-certainty is approximated by the top-k confidence`;
  }

  private idOf(text: string): number {
    let id = this.vocab.get(text);
    if (id === undefined) {
      id = this.pieces.length;
      this.pieces.push(text);
      this.vocab.set(text, id);
    }
    return id;
  }

  /** Ends a branch (true, for `accept`). */
  private finish(b: Branch, reason: FinishReason): true {
    b.finishReason = reason;
    const open = b.openStep;
    if (open.length > 0) {
      b.steps.push(open);
      b.stepStart = b.text.length;
    }
    this.emit(b, b.text.length);
    this.syncTrace(b);
    if (reason !== 'pruned') this.trace.event(b.id, 'finished', reason);
    b.seq = undefined;
    return true;
  }

  private emit(b: Branch, upTo: number): void {
    if (upTo <= b.emitted) return;
    const delta = b.text.slice(b.emitted, upTo);
    b.emitted = upTo;
    this.onDelta?.(b, delta);
  }

  private syncTrace(b: Branch): void {
    if (b.isRoot) return;
    const rec = this.trace.get(b.id);
    rec.text = b.text;
    rec.tokens = b.tokens;
    rec.steps = b.steps;
    rec.stepScores = b.stepScores;
    rec.finishReason = b.finishReason;
  }
}
