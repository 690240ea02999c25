// The Generator over an `Engine`: batches every live branch into one `engine.step` per token,
// decodes each branch's token list after each token (incrementally, equivalent to decoding the
// whole list; the engine holds back incomplete UTF-8) and streams only the stable new suffix, finds stop strings that span tokens and
// reasoning-step delimiters, and keeps usage and the trace current.

import { RuminateError } from '@ruminate/errors';
import type { Constraint, Engine, SamplingParams, StepRequest, StepWants } from '@ruminate/runtime';
import { Branch, type FinishReason } from './branch.ts';
import { decodeIncremental } from './incremental-text.ts';
import { mixSeed } from './seeds.ts';
import { findStepEnd, findStop, stableLength } from './stop-strings.ts';
import { forceThinkingEnd, type ThinkingControl } from './thinking-budget.ts';
import { Trace } from './trace.ts';
import type { DeltaListener, ExtendUntil, Generator, GeneratorUsage } from './types.ts';

/** How to build an EngineGenerator. */
export interface EngineGeneratorOptions {
  /** Default sampling (its seed is ignored: each branch has its own). */
  sampling: SamplingParams;
  /** Per-candidate limit of generated tokens. */
  maxTokens: number;
  /** Stop strings (excluded from the text; a hit ends the candidate). */
  stop?: readonly string[];
  /** Reasoning-step delimiter (default "\n\n"). */
  delimiter?: string;
  /** Extra numbers to read back each step. */
  want?: StepWants;
  /** The run's seed; every candidate's seed derives from it. */
  seed: number;
  /** Cancels the run. */
  signal?: AbortSignal;
  /** Hard limits of the run (the budget's safety net): a deadline on `now()` and a total token count. */
  limits?: { deadlineMs?: number; tokens?: number };
  /** Clock in ms (default performance.now). */
  now?: () => number;
  /** Receives streamed text. */
  onDelta?: DeltaListener;
  /** Trace to record into (a new one by default). */
  trace?: Trace;
  /** A thinking budget: the thinking section is closed by force after this many tokens. */
  thinking?: ThinkingControl;
  /** Output constraint of every candidate (set on the root; forks inherit it with the KV). */
  constraint?: Constraint;
}

/** The Generator implementation over an Engine; see the file comment. */
export class EngineGenerator implements Generator {
  readonly trace: Trace;
  readonly delimiter: string;
  readonly maxTokens: number;
  readonly want: StepWants;
  private readonly engine: Engine;
  private readonly sampling: SamplingParams;
  private readonly stops: readonly string[];
  private readonly seed: number;
  private readonly signal: AbortSignal | undefined;
  private readonly limits: { deadlineMs?: number; tokens?: number };
  private readonly now: () => number;
  private readonly onDelta: DeltaListener | undefined;
  private readonly thinking: ThinkingControl | undefined;
  private readonly rootOf = new Map<Branch, Branch>();
  private readonly constraint: Constraint | undefined;
  private readonly branches = new Map<number, Branch>();
  private nextId = 0;
  private readonly stats: GeneratorUsage = {
    promptTokens: 0,
    generatedTokens: 0,
    stepCalls: 0,
    forks: 0,
    maxBatch: 0,
    candidates: 0,
  };

  constructor(engine: Engine, opts: EngineGeneratorOptions) {
    this.engine = engine;
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
    this.thinking = opts.thinking;
    this.constraint = opts.constraint;
    this.trace = opts.trace ?? new Trace(this.now);
  }

  checkAbort(): void {
    if (this.signal?.aborted) {
      throw new RuminateError('aborted', 'The request was aborted; every forked sequence was released.', {
        cause: this.signal.reason,
      });
    }
  }

  /** Why the run's hard budget is spent (deadline passed or token limit reached), or undefined. */
  budgetSpent(): string | undefined {
    if (this.limits.deadlineMs !== undefined && this.now() >= this.limits.deadlineMs)
      return 'latency budget reached';
    if (this.limits.tokens !== undefined && this.stats.generatedTokens >= this.limits.tokens)
      return 'token budget reached';
    return undefined;
  }

  async create(prompt: number[]): Promise<Branch> {
    this.checkAbort();
    const seq = await this.engine.createSequence(prompt);
    if (this.constraint) {
      if (!this.engine.constrain) {
        await this.engine.free(seq);
        throw new RuminateError(
          'grammar-unavailable',
          'This engine cannot constrain its output (no constrain method); drop response_format, grammar, regex and tools, ' +
            "or use an engine with constrained decoding (Ruminate's runtime).",
        );
      }
      try {
        await this.engine.constrain(seq, this.constraint);
      } catch (e) {
        await this.engine.free(seq);
        throw e;
      }
    }
    const root = new Branch(this.nextId++, null, this.seed, seq, true);
    root.promptTokens = prompt.length;
    this.branches.set(root.id, root);
    this.rootOf.set(root, root);
    this.stats.promptTokens += prompt.length;
    return root;
  }

  async fork(branch: Branch, count: number): Promise<Branch[]> {
    this.checkAbort();
    if (count <= 0) return [];
    const seqs =
      branch.seq !== undefined && !branch.finished
        ? await this.engine.fork(branch.seq, count)
        : new Array<undefined>(count).fill(undefined);
    this.stats.forks += branch.seq !== undefined && !branch.finished ? count : 0;
    return seqs.map((seq) => {
      const id = this.nextId++;
      const child = branch.copyInto(
        new Branch(id, branch.isRoot ? null : branch.id, mixSeed(this.seed, id), seq),
      );
      this.register(child, branch);
      this.trace.event(
        id,
        branch.isRoot ? 'created' : 'forked',
        branch.isRoot ? undefined : `from ${branch.id}`,
      );
      return child;
    });
  }

  async forkAt(branch: Branch, keep: number): Promise<Branch> {
    this.checkAbort();
    const root = this.rootOf.get(branch);
    if (!root) throw new RuminateError('internal', `Branch ${branch.id} is not from this generator.`);
    const k = Math.max(0, Math.min(Math.floor(keep), branch.tokens.length));
    const prefix = branch.tokens.slice(0, k);
    let seq: number;
    if (branch.seq !== undefined) {
      // A KV fork: the prefix's pages are shared, the rest rolled back.
      [seq] = (await this.engine.fork(branch.seq, 1)) as [number];
      await this.engine.truncate(seq, branch.promptTokens + k);
    } else {
      if (root.seq === undefined)
        throw new RuminateError('internal', 'The prompt branch was released before forkAt.');
      [seq] = (await this.engine.fork(root.seq, 1)) as [number];
      await this.engine.append(seq, prefix);
    }
    this.stats.forks++;
    const id = this.nextId++;
    const child = new Branch(id, branch.isRoot ? null : branch.id, mixSeed(this.seed, id), seq);
    child.promptTokens = branch.promptTokens;
    child.tokens = prefix;
    child.logprobs = branch.logprobs.slice(0, k);
    child.topLogprobs = branch.topLogprobs.slice(0, k);
    child.confidences = branch.confidences.slice(0, k);
    child.selfCertainty = branch.selfCertainty.slice(0, k);
    child.entropy = branch.entropy.slice(0, k);
    child.generated = k;
    child.thinkingDone = branch.thinkingDone && k >= (this.thinking?.maxTokens ?? 0);
    child.text = await decodeIncremental(child.tokens, child.textState, (ids) => this.engine.detokenize(ids));
    for (let end = findStepEnd(child.openStep, this.delimiter); end >= 0; ) {
      child.steps.push(child.openStep.slice(0, end));
      child.stepStart += end;
      end = findStepEnd(child.openStep, this.delimiter);
    }
    this.register(child, branch);
    this.trace.event(id, 'forked', `from ${branch.id}, keeping ${k} of its ${branch.tokens.length} tokens`);
    return child;
  }

  async extend(branches: readonly Branch[], until: ExtendUntil = {}): Promise<void> {
    const delimiter = until.delimiter === true ? this.delimiter : until.delimiter || undefined;
    const sampling = until.sampling ?? this.sampling;
    const start = new Map<Branch, { tokens: number; text: number }>();
    let live = branches.filter((b) => !b.finished && b.seq !== undefined);
    for (const b of live) start.set(b, { tokens: b.tokens.length, text: b.text.length });
    while (live.length > 0) {
      this.checkAbort();
      const spent = this.budgetSpent();
      if (spent !== undefined) {
        // The budget is a hard limit: every live branch ends where it is.
        for (const b of live) {
          this.trace.event(b.id, 'stopped', spent);
          await this.finish(b, 'length', until.keep === true);
        }
        break;
      }
      const batch: StepRequest[] = live.map((b) => {
        const r: StepRequest = {
          seq: b.seq as number,
          sampling: { ...sampling, seed: b.seed, stream: b.id },
          want: this.want,
        };
        const forced = b.forced.shift();
        if (forced !== undefined) r.forceToken = forced;
        return r;
      });
      const results = await this.engine.step(batch);
      this.stats.stepCalls++;
      this.stats.generatedTokens += live.length;
      this.stats.maxBatch = Math.max(this.stats.maxBatch, live.length);
      this.trace.runTokens = this.stats.generatedTokens;
      const bySeq = new Map(results.map((r) => [r.seq, r]));
      const decoding: Branch[] = [];
      const ended: [Branch, FinishReason][] = [];
      for (const b of live) {
        const r = bySeq.get(b.seq as number);
        if (!r) throw new RuminateError('internal', `The engine returned no result for sequence ${b.seq}.`);
        b.generated++;
        if (r.eos) {
          ended.push([b, r.grammarDeadEnd ? 'grammar' : 'eos']);
          continue;
        }
        b.tokens.push(r.token);
        b.logprobs.push(r.logprob);
        const top = r.topLogprobs ?? [];
        b.topLogprobs.push(top);
        if (top.length > 0) b.confidences.push(-top.reduce((a, t) => a + t.logprob, 0) / top.length);
        if (r.selfCertainty !== undefined) b.selfCertainty.push(-r.selfCertainty);
        if (r.entropy !== undefined) b.entropy.push(r.entropy);
        decoding.push(b);
      }
      const detokenize = (ids: number[]) => this.engine.detokenize(ids);
      const texts = await Promise.all(
        decoding.map((b) => decodeIncremental(b.tokens, b.textState, detokenize)),
      );
      const paused = new Set<Branch>();
      for (let i = 0; i < decoding.length; i++) {
        const b = decoding[i] as Branch;
        const decoded = texts[i] ?? '';
        const prev = b.text.length;
        const stop = findStop(decoded, this.stops, prev);
        b.text = stop ? decoded.slice(0, stop.index) : decoded;
        if (stop) {
          ended.push([b, 'stop']);
          continue;
        }
        if (b.tokens.length >= this.maxTokens) {
          ended.push([b, 'length']);
          continue;
        }
        if (this.thinking && forceThinkingEnd(b, this.thinking))
          this.trace.event(b.id, 'forced', `thinking budget of ${this.thinking.maxTokens} tokens reached`);
        const reason = until.shouldStop?.(b);
        if (reason !== undefined) {
          this.trace.event(b.id, 'stopped', reason);
          ended.push([b, 'pruned']);
          continue;
        }
        if (b.forced.length > 0) {
          // Forced tokens go on regardless of pauses (a step must not end inside `</think>`).
          this.emit(b, stableLength(b.text, this.stops));
          continue;
        }
        const from = start.get(b) as { tokens: number; text: number };
        // Steps are always split at the delimiter; the branch pauses there only when asked to.
        for (
          let end = findStepEnd(b.openStep, delimiter ?? this.delimiter);
          end >= 0;
          end = findStepEnd(b.openStep, delimiter ?? this.delimiter)
        ) {
          b.steps.push(b.openStep.slice(0, end));
          b.stepStart += end;
          if (delimiter !== undefined) paused.add(b);
        }
        if (until.pauseAt && findStop(b.text.slice(from.text), until.pauseAt, 0)) paused.add(b);
        if (until.tokens !== undefined && b.tokens.length - from.tokens >= until.tokens) paused.add(b);
        this.emit(b, stableLength(b.text, this.stops));
      }
      for (const [b, reason] of ended) await this.finish(b, reason, until.keep === true);
      live = live.filter((b) => !b.finished && !paused.has(b));
    }
  }

  async prune(branch: Branch, reason: string): Promise<void> {
    // A finished branch keeps its finish reason (it did end at EOS); the event records the pruning.
    if (!branch.finished) branch.finishReason = 'pruned';
    this.trace.event(branch.id, 'pruned', reason);
    await this.free(branch);
  }

  async free(branches: Branch | readonly Branch[]): Promise<void> {
    const list = Array.isArray(branches) ? branches : [branches as Branch];
    for (const b of list) {
      if (b.seq === undefined) continue;
      const seq = b.seq;
      b.seq = undefined;
      await this.engine.free(seq);
    }
  }

  async freeAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const b of this.branches.values()) {
      try {
        await this.free(b);
      } catch (e) {
        errors.push(e);
      }
    }
    for (const b of this.branches.values()) this.syncTrace(b);
    if (errors.length > 0)
      throw new RuminateError('internal', 'Releasing sequences failed.', { cause: errors[0] });
  }

  usage(): GeneratorUsage {
    return { ...this.stats };
  }

  detokenize(ids: number[]): Promise<string> {
    return this.engine.detokenize(ids);
  }

  /** Every branch created (roots included), by id. */
  all(): Branch[] {
    return [...this.branches.values()];
  }

  private register(child: Branch, parent: Branch): void {
    this.branches.set(child.id, child);
    this.rootOf.set(child, this.rootOf.get(parent) ?? parent);
    this.stats.candidates++;
    const rec = this.trace.add(child.id, child.parent, child.seed);
    rec.tokens = child.tokens;
    rec.stepScores = child.stepScores;
  }

  private async finish(b: Branch, reason: FinishReason, keep: boolean): Promise<void> {
    b.finishReason = reason;
    const open = b.openStep;
    if (open.length > 0) {
      b.steps.push(open);
      b.stepStart = b.text.length;
    }
    this.emit(b, b.text.length);
    this.syncTrace(b);
    if (reason !== 'pruned') this.trace.event(b.id, 'finished', reason);
    if (!keep) await this.free(b);
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
