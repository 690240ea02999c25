// Continuous batching for callers that each drive their own decode loop (the requests of an HTTP
// server, each running its own strategy): an Engine whose `step` calls are merged. A call that
// arrives while a step runs waits for it and joins the next step together with every other call
// that arrived meanwhile; the results are split back to their callers. After each step the
// coalescer lets pending continuations run once (one macrotask), so callers whose next step
// follows from the last one's results all join the same step rather than trickling in one by one.
// Methods that change sequences (create, fork, truncate, append, free, constrain) wait until the step in
// flight has finished, so no block table changes under a running pass; the rest pass through.
// Nothing else in the engine changes: a new request's prefill rows simply ride in the next step
// with everyone's decode rows.

import { isRuminateError } from '@ruminate/errors';
import type { Engine, StepRequest, StepResult } from './types.ts';

/** One caller's pending step. */
interface PendingStep {
  batch: StepRequest[];
  resolve: (results: StepResult[]) => void;
  reject: (error: unknown) => void;
}

/** What the coalescer has done (for tests and the server's report). */
export interface CoalescerStats {
  /** Merged steps run on the inner engine. */
  steps: number;
  /** Caller step calls served. */
  calls: number;
  /** Most caller calls merged into one step. */
  maxCallsPerStep: number;
  /** Most sequences in one step. */
  maxBatch: number;
}

/** Resolves after pending promise continuations (and I/O callbacks) have run. */
function nextMacrotask(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => void }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}

/** An Engine wrapper that merges concurrent `step` calls; see the file comment. */
export class StepCoalescer implements Engine {
  private readonly inner: Engine;
  private pending: PendingStep[] = [];
  private draining = false;
  private inFlight: Promise<unknown> | undefined;
  private readonly counters: CoalescerStats = { steps: 0, calls: 0, maxCallsPerStep: 0, maxBatch: 0 };

  /** Present when the inner engine decodes under constraints (a sequence's constraint changes between steps). */
  readonly constrain?: Engine['constrain'];

  constructor(inner: Engine) {
    this.inner = inner;
    const constrain = inner.constrain?.bind(inner);
    if (constrain) this.constrain = (...a) => this.betweenSteps(() => constrain(...a));
  }

  /** Queues `batch` for the next merged step and resolves with its own results. */
  step(batch: StepRequest[]): Promise<StepResult[]> {
    return new Promise<StepResult[]>((resolve, reject) => {
      this.pending.push({ batch, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        void this.drain();
      }
    });
  }

  /** Steps run, calls served and the widest merge so far. */
  stats(): CoalescerStats {
    return { ...this.counters };
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        await nextMacrotask(); // let every caller that is about to step join this one
        const group = this.pending;
        if (group.length === 0) return;
        this.pending = [];
        await this.runMerged(group);
      }
    } finally {
      this.draining = false;
    }
  }

  private async runMerged(group: PendingStep[]): Promise<void> {
    const merged = group.flatMap((p) => p.batch);
    this.counters.steps++;
    this.counters.calls += group.length;
    this.counters.maxCallsPerStep = Math.max(this.counters.maxCallsPerStep, group.length);
    this.counters.maxBatch = Math.max(this.counters.maxBatch, merged.length);
    let results: StepResult[];
    try {
      const step = this.inner.step(merged);
      this.inFlight = step;
      try {
        results = await step;
      } finally {
        this.inFlight = undefined;
      }
    } catch (e) {
      // A request the engine rejects before running anything (a freed or unknown sequence, a bad
      // parameter) must fail only its own caller: run each call alone to find it.
      if (
        group.length > 1 &&
        (isRuminateError(e, 'invalid-argument') || isRuminateError(e, 'unknown-sequence'))
      ) {
        for (const p of group) await this.runMerged([p]);
        return;
      }
      for (const p of group) p.reject(e);
      return;
    }
    const bySeq = new Map(results.map((r) => [r.seq, r]));
    for (const p of group) p.resolve(p.batch.map((r) => bySeq.get(r.seq) as StepResult));
  }

  /** Runs `f` once no merged step is in flight. */
  private async betweenSteps<T>(f: () => Promise<T>): Promise<T> {
    while (this.inFlight) await this.inFlight.catch(() => undefined);
    return f();
  }

  load: Engine['load'] = (...a) => this.inner.load(...a);
  tokenize: Engine['tokenize'] = (...a) => this.inner.tokenize(...a);
  detokenize: Engine['detokenize'] = (...a) => this.inner.detokenize(...a);
  applyChatTemplate: Engine['applyChatTemplate'] = (...a) => this.inner.applyChatTemplate(...a);
  createSequence: Engine['createSequence'] = (...a) =>
    this.betweenSteps(() => this.inner.createSequence(...a));
  fork: Engine['fork'] = (...a) => this.betweenSteps(() => this.inner.fork(...a));
  truncate: Engine['truncate'] = (...a) => this.betweenSteps(() => this.inner.truncate(...a));
  append: Engine['append'] = (...a) => this.betweenSteps(() => this.inner.append(...a));
  free: Engine['free'] = (...a) => this.betweenSteps(() => this.inner.free(...a));
  tokens: Engine['tokens'] = (...a) => this.inner.tokens(...a);
  memory: Engine['memory'] = () => this.inner.memory();
  info: Engine['info'] = () => this.inner.info();
  unload: Engine['unload'] = () => this.inner.unload();
}
