import { RuminateError } from '@ruminate/errors';
import {
  ABORT,
  COMPLETE,
  controlCapacity,
  FAULT_OP,
  FAULT_THREAD,
  GEN,
  HEADER_WORDS,
  OP_COUNT,
  SHUTDOWN,
  STATUS,
  STATUS_ABORTED,
  STATUS_FAULT,
  STOP,
  STOP_OP,
} from './control.ts';
import { abortedAt, type Kernel, kernelFault, runInline } from './inline-runner.ts';
import { warnNotIsolatedOnce } from './isolation-notice.ts';
import { FAULT_INJECTION_FN, type Program } from './program.ts';
import { type PoolWorker, spawnWorker } from './spawn.ts';
import { hardwareThreads, planThreading, type ThreadingInfo } from './threading.ts';
import { WORKER_SOURCE, type WorkerInit, type WorkerMessage } from './worker-source.ts';

/** Options of ThreadPool.create. */
export interface ThreadPoolOptions {
  /** The kernels: every export named in exportNames takes (i32 args…, threadIndex, threadCount). */
  module: WebAssembly.Module;
  /** The arena's memory (shared for threads); the module imports it as env.memory. */
  memory: WebAssembly.Memory;
  /** Exports callable by ops, in op `fn` order. */
  exportNames: readonly string[];
  /** The control region (reserveControl); its size bounds the program length. */
  control: { readonly offset: number; readonly bytes: number };
  /** Compute threads (default: every core); 1 runs programs inline on the caller's thread. */
  threads?: number;
  /** Atomics.load iterations a thread spins at a barrier before it sleeps (default 20000 while threads ≤ cores, else 0: spinning on an oversubscribed CPU starves the thread it waits for). */
  spin?: number;
  /** Iterations a thread spins for the next run before it sleeps (default 0). */
  idleSpin?: number;
  /** 'message': the last worker posts once per run instead of Atomics.waitAsync (default 'auto': waitAsync where it exists). */
  completion?: 'auto' | 'message';
  /** Single-threaded runs yield to the event loop at an op boundary after this many ms (default 4), so an abort can land. */
  yieldMs?: number;
}

/** Options of ThreadPool.run. */
export interface RunOptions {
  /** Aborting stops the run at the next op boundary; run() then rejects with RuminateError('aborted'). */
  signal?: AbortSignal;
  /**
   * Run on the caller's thread alone (thread 0 of 1) even when the pool has workers: for programs
   * too small to repay a barrier per op (a pool's owner may time both ways and keep the faster).
   */
  inline?: boolean;
}

type WaitAsync = (
  a: Int32Array,
  index: number,
  value: number,
) => { async: boolean; value: Promise<'ok' | 'timed-out'> | 'not-equal' | 'timed-out' };

const DEFAULT_SPIN = 20_000;

/**
 * Runs programs of kernel calls on compute threads over one shared memory: each thread walks the
 * whole program (call, barrier, next op), woken per run by Atomics.notify, never by a message per
 * op. Without shared memory or with one thread, programs run inline on the caller's thread.
 */
export class ThreadPool {
  /** Threads, memory sharing, and why. */
  readonly info: ThreadingInfo;
  private readonly names: readonly string[];
  private readonly kernels: readonly Kernel[];
  private readonly ctl: Int32Array | undefined;
  private readonly capacity: number;
  private readonly yieldMs: number;
  private readonly useWaitAsync: boolean;
  private workers: PoolWorker[] = [];
  private broken: RuminateError | undefined;
  private destroyed = false;
  private terminating: Promise<void> = Promise.resolve();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly failure: Promise<never>;
  private rejectFailure: (e: RuminateError) => void = () => {};
  private doneWaiter: (() => void) | undefined;
  private faultWaiter: ((m: string) => void) | undefined;
  private faultText: string | undefined;

  private constructor(
    info: ThreadingInfo,
    names: readonly string[],
    kernels: readonly Kernel[],
    ctl: Int32Array | undefined,
    options: ThreadPoolOptions,
  ) {
    this.info = info;
    this.names = names;
    this.kernels = kernels;
    this.ctl = ctl;
    this.capacity = ctl ? controlCapacity(ctl.length * 4) : Number.POSITIVE_INFINITY;
    this.yieldMs = options.yieldMs ?? 4;
    this.useWaitAsync =
      options.completion !== 'message' &&
      typeof (Atomics as { waitAsync?: unknown }).waitAsync === 'function';
    this.failure = new Promise<never>((_, reject) => {
      this.rejectFailure = reject;
    });
    this.failure.catch(() => {});
  }

  /** Starts the pool: instantiates the module on each compute thread (or once here when single-threaded). */
  static async create(options: ThreadPoolOptions): Promise<ThreadPool> {
    const names = checkExports(options.module, options.exportNames);
    const shared =
      typeof SharedArrayBuffer !== 'undefined' && options.memory.buffer instanceof SharedArrayBuffer;
    let info = await planThreading(options.threads);
    if (info.isolationMissing) warnNotIsolatedOnce();
    if (info.threads > 1 && !shared) {
      info = {
        threads: 1,
        shared: false,
        reason: 'single-threaded: the memory is not shared (createMemory(plan, { shared: true }) makes one)',
        isolationMissing: false,
      };
    }
    if (info.threads > 1) {
      const ctl = controlView(options.memory, options.control);
      // An instance on the caller's thread too, for runs asked to go inline.
      const local = await WebAssembly.instantiate(options.module, { env: { memory: options.memory } });
      const localKernels = names.map((n) => local.exports[n] as Kernel);
      const pool = new ThreadPool({ ...info, shared: true }, names, localKernels, ctl, options);
      try {
        await pool.start(options, ctl);
        return pool;
      } catch (e) {
        if (!(e instanceof WorkersUnavailable)) throw e;
        info = { threads: 1, shared, reason: `single-threaded: ${e.message}`, isolationMissing: false };
      }
    }
    const instance = await WebAssembly.instantiate(options.module, { env: { memory: options.memory } });
    const kernels = names.map((n) => instance.exports[n] as Kernel);
    return new ThreadPool({ ...info, shared }, names, kernels, undefined, options);
  }

  /** Runs `program` to its end (runs are queued one after another); rejects with 'aborted', 'worker-failed' or 'internal' (a kernel trapped). */
  run(program: Program, options: RunOptions = {}): Promise<void> {
    const next = this.queue.then(
      () => this.runNow(program, options.signal, options.inline === true),
      () => this.runNow(program, options.signal, options.inline === true),
    );
    this.queue = next;
    return next;
  }

  /** The error every run rejects with after a thread died; undefined while the pool is healthy. */
  get failed(): RuminateError | undefined {
    return this.broken;
  }

  /** Stops every worker (resolves when they are gone); the run in flight and later runs reject with RuminateError('not-loaded'). */
  destroy(): Promise<void> {
    if (this.destroyed) return this.terminating;
    this.destroyed = true;
    const c = this.ctl;
    if (c) {
      Atomics.store(c, SHUTDOWN, 1);
      Atomics.add(c, GEN, 1);
      Atomics.notify(c, GEN);
    }
    const gone = this.terminateAll();
    this.rejectFailure(new RuminateError('not-loaded', 'the WebAssembly thread pool was destroyed'));
    if (c) Atomics.notify(c, COMPLETE);
    return gone;
  }

  private async runNow(program: Program, signal: AbortSignal | undefined, inline: boolean): Promise<void> {
    if (this.broken) throw this.broken;
    if (this.destroyed) throw new RuminateError('not-loaded', 'the WebAssembly thread pool was destroyed');
    if (signal?.aborted) throw abortedAt(0, program.length);
    for (let i = 0; i < program.length; i++) {
      const fn = program.fnOf(i);
      if (fn !== FAULT_INJECTION_FN && fn >= this.names.length) {
        throw new RuminateError(
          'invalid-argument',
          `op ${i}: no export #${fn} (the pool has ${this.names.length})`,
          {
            field: 'fn',
          },
        );
      }
    }
    if (!this.ctl || inline) {
      try {
        await runInline(this.kernels, this.names, program, signal, this.yieldMs);
      } catch (e) {
        if (e instanceof RuminateError && e.code === 'worker-failed') this.broken = e;
        throw e;
      }
      return;
    }
    if (program.length > this.capacity) {
      throw new RuminateError(
        'invalid-argument',
        `the program has ${program.length} ops; the pool's control region holds ${this.capacity}`,
        { field: 'program' },
      );
    }
    if (program.length === 0) return;
    await this.runThreaded(this.ctl, program, signal);
  }

  private async runThreaded(c: Int32Array, program: Program, signal: AbortSignal | undefined): Promise<void> {
    c.set(program.words, HEADER_WORDS);
    Atomics.store(c, OP_COUNT, program.length);
    Atomics.store(c, STATUS, 0);
    Atomics.store(c, STOP, 0);
    Atomics.store(c, STOP_OP, 0);
    Atomics.store(c, ABORT, 0);
    this.faultText = undefined;
    const completed = Atomics.load(c, COMPLETE);
    const onAbort = () => Atomics.store(c, ABORT, 1);
    signal?.addEventListener('abort', onAbort);
    const done = this.useWaitAsync ? this.waitComplete(c, completed) : this.waitDoneMessage();
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    try {
      await Promise.race([done, this.failure]);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const status = Atomics.load(c, STATUS);
    if (status === STATUS_ABORTED) throw abortedAt(Atomics.load(c, STOP_OP), program.length);
    if (status === STATUS_FAULT) {
      const op = Atomics.load(c, FAULT_OP);
      const message = await Promise.race([this.faultMessage(), this.failure]);
      throw kernelFault(this.names[program.fnOf(op)] ?? '?', op, Atomics.load(c, FAULT_THREAD), message);
    }
  }

  private async waitComplete(c: Int32Array, completed: number): Promise<void> {
    const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
    while (Atomics.load(c, COMPLETE) === completed) {
      if (this.broken || this.destroyed) return;
      const r = waitAsync(c, COMPLETE, completed);
      if (r.async) await r.value;
    }
  }

  private waitDoneMessage(): Promise<void> {
    return new Promise((resolve) => {
      this.doneWaiter = resolve;
    });
  }

  private faultMessage(): Promise<string> {
    if (this.faultText !== undefined) return Promise.resolve(this.faultText);
    return new Promise((resolve) => {
      this.faultWaiter = resolve;
    });
  }

  private async start(options: ThreadPoolOptions, c: Int32Array): Promise<void> {
    const n = this.info.threads;
    const spin = options.spin ?? (n <= (await hardwareThreads()) ? DEFAULT_SPIN : 0);
    c.fill(0, 0, HEADER_WORDS);
    const ready: Promise<void>[] = [];
    for (let t = 0; t < n; t++) {
      let onReady: () => void = () => {};
      ready.push(new Promise<void>((resolve) => (onReady = resolve)));
      let worker: PoolWorker;
      try {
        worker = await spawnWorker(WORKER_SOURCE, {
          message: (m) => this.onMessage(m, t, onReady),
          failure: (reason) => this.fail(`thread ${t} ${reason}`),
        });
      } catch (e) {
        await this.terminateAll();
        throw new WorkersUnavailable(
          `workers could not start (${e instanceof Error ? e.message : String(e)})`,
        );
      }
      this.workers.push(worker);
      const init: WorkerInit = {
        module: options.module,
        memory: options.memory,
        exportNames: this.names,
        control: options.control.offset,
        controlWords: c.length,
        thread: t,
        threads: n,
        spin,
        idleSpin: options.idleSpin ?? 0,
        generation: 0,
        postDone: !this.useWaitAsync,
      };
      worker.post(init);
    }
    try {
      await Promise.race([Promise.all(ready), this.failure]);
    } catch (e) {
      await this.destroy();
      throw e;
    }
  }

  private onMessage(m: WorkerMessage, thread: number, onReady: () => void): void {
    switch (m.type) {
      case 'ready':
        onReady();
        break;
      case 'done': {
        const w = this.doneWaiter;
        this.doneWaiter = undefined;
        w?.();
        break;
      }
      case 'fault': {
        this.faultText = m.message;
        const w = this.faultWaiter;
        this.faultWaiter = undefined;
        w?.(m.message);
        break;
      }
      case 'fatal':
        this.fail(`thread ${thread} failed: ${m.message}`);
        break;
    }
  }

  private fail(reason: string): void {
    if (this.broken || this.destroyed) return;
    this.broken = new RuminateError(
      'worker-failed',
      `a thread of the WebAssembly CPU backend stopped (${reason}); this model can no longer run: load it again`,
    );
    void this.terminateAll();
    this.rejectFailure(this.broken);
    if (this.ctl) Atomics.notify(this.ctl, COMPLETE);
  }

  private terminateAll(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    const gone = Promise.all(ws.map((w) => w.terminate())).then(() => {});
    this.terminating = this.terminating.then(() => gone);
    return this.terminating;
  }
}

/** Thrown inside create() when workers cannot be made at all (e.g. a CSP forbids blob: workers). */
class WorkersUnavailable extends Error {}

function checkExports(module: WebAssembly.Module, names: readonly string[]): readonly string[] {
  const functions = new Set(
    WebAssembly.Module.exports(module)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name),
  );
  const missing = names.filter((n) => !functions.has(n));
  if (missing.length > 0) {
    throw new RuminateError(
      'invalid-argument',
      `the module exports no function named ${missing.join(', ')}`,
      {
        field: 'exportNames',
      },
    );
  }
  return [...names];
}

function controlView(memory: WebAssembly.Memory, control: { offset: number; bytes: number }): Int32Array {
  const { offset, bytes } = control;
  if (offset % 64 !== 0 || offset + bytes > memory.buffer.byteLength || controlCapacity(bytes) < 1) {
    throw new RuminateError(
      'invalid-argument',
      `the control region (offset ${offset}, ${bytes} bytes) must be 64-byte aligned, inside the memory, and hold at least one op (reserveControl)`,
      { field: 'control' },
    );
  }
  return new Int32Array(memory.buffer, offset, bytes >>> 2);
}
