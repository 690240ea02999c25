// One tab's view of an engine that several tabs share (a SharedWorker): the tabs' steps run one
// after another in arrival order instead of failing while another tab's step runs, an abort
// reaches only the tab's own step, and the sequences a tab created are freed when it lets go
// (Comlink's release, or the port closing), so a closed tab does not keep KV pages forever.

import { RuminateError } from '@ruminate/errors';
import * as Comlink from 'comlink';
import type { RuminateEngine } from '../engine/ruminate-engine.ts';
import type { SeqId, StepRequest, StepResult } from '../engine/types.ts';

/** The engine methods a session forwards. */
export type SharedEngine = Pick<
  RuminateEngine,
  | 'loadWithProgress'
  | 'load'
  | 'tokenize'
  | 'detokenize'
  | 'applyChatTemplate'
  | 'createSequence'
  | 'fork'
  | 'truncate'
  | 'append'
  | 'constrain'
  | 'free'
  | 'tokens'
  | 'step'
  | 'abort'
  | 'memory'
  | 'info'
  | 'unload'
  | 'whenTuned'
>;

/** Runs the steps of every session on one engine, one at a time, in arrival order. */
export class StepQueue {
  private tail: Promise<unknown> = Promise.resolve();
  /** The session whose step is running, if any. */
  running: EngineSession | undefined;

  /** Queues `run` for `owner`; `cancelled` is checked when its turn comes. */
  enqueue<T>(owner: EngineSession, cancelled: () => boolean, run: () => Promise<T>): Promise<T> {
    const turn = this.tail.then(async () => {
      if (cancelled()) throw new RuminateError('aborted', 'The step was aborted before it started.');
      this.running = owner;
      try {
        return await run();
      } finally {
        this.running = undefined;
      }
    });
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}

/** One connection's (tab's) engine: the shared engine's methods, with steps queued and sequences owned. */
export class EngineSession {
  private readonly owned = new Set<SeqId>();
  /** Bumped by abort(): queued steps from before it do not start. */
  private abortEpoch = 0;

  constructor(
    private readonly engine: SharedEngine,
    private readonly queue: StepQueue,
  ) {}

  loadWithProgress: SharedEngine['loadWithProgress'] = (...a) => this.engine.loadWithProgress(...a);
  load: SharedEngine['load'] = (...a) => this.engine.load(...a);
  tokenize: SharedEngine['tokenize'] = (...a) => this.engine.tokenize(...a);
  detokenize: SharedEngine['detokenize'] = (...a) => this.engine.detokenize(...a);
  applyChatTemplate: SharedEngine['applyChatTemplate'] = (...a) => this.engine.applyChatTemplate(...a);
  tokens: SharedEngine['tokens'] = (...a) => this.engine.tokens(...a);
  truncate: SharedEngine['truncate'] = (...a) => this.engine.truncate(...a);
  append: SharedEngine['append'] = (...a) => this.engine.append(...a);
  constrain: SharedEngine['constrain'] = (...a) => this.engine.constrain(...a);
  memory: SharedEngine['memory'] = () => this.engine.memory();
  info: SharedEngine['info'] = () => this.engine.info();
  unload: SharedEngine['unload'] = () => this.engine.unload();
  whenTuned: SharedEngine['whenTuned'] = () => this.engine.whenTuned();

  async createSequence(prompt: number[]): Promise<SeqId> {
    const seq = await this.engine.createSequence(prompt);
    this.owned.add(seq);
    return seq;
  }

  async fork(seq: SeqId, count: number): Promise<SeqId[]> {
    const forks = await this.engine.fork(seq, count);
    for (const f of forks) this.owned.add(f);
    return forks;
  }

  async free(seq: SeqId): Promise<void> {
    await this.engine.free(seq);
    this.owned.delete(seq);
  }

  /** Waits for the other sessions' steps, then runs this one. */
  step(batch: StepRequest[]): Promise<StepResult[]> {
    const epoch = this.abortEpoch;
    return this.queue.enqueue(
      this,
      () => this.abortEpoch !== epoch,
      () => this.engine.step(batch),
    );
  }

  /** Stops this session's running step, and its queued ones; other sessions' steps go on. */
  async abort(): Promise<void> {
    this.abortEpoch++;
    if (this.queue.running === this) await this.engine.abort();
  }

  /** Sequences this session created and has not freed. */
  get liveSequences(): readonly SeqId[] {
    return [...this.owned];
  }

  /** Frees every sequence this session still holds (its tab has gone). */
  async close(): Promise<void> {
    this.abortEpoch++;
    const seqs = [...this.owned];
    this.owned.clear();
    for (const seq of seqs) await this.engine.free(seq).catch(() => undefined);
  }

  /** Comlink calls this when the tab releases its proxy. */
  [Comlink.finalizer](): void {
    void this.close();
  }
}
