// The engine's state outside React: loading (with progress), the device, the last plan, the run
// in flight (folded from streamed chunks) and its result or error. Hooks subscribe to it with
// useSyncExternalStore; one store can serve many components (RuminateProvider).
import {
  type AnswerOptions,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type CreateEngineOptions,
  createEngine,
  type Plan,
  type RuminateClient,
  RuminateError,
} from '@ruminate/controller';
import { type DeviceInfo, readDeviceInfo } from './device-info.ts';
import { applyChunk, emptyRun, type RunView } from './run-view.ts';

/** The runtime's Engine contract, as the controller carries it. */
export type Engine = NonNullable<RuminateClient['engine']>;
/** A load-progress event (download, upload, compile, tune). */
export type LoadProgress = Parameters<NonNullable<NonNullable<CreateEngineOptions['load']>['onProgress']>>[0];

/** Where the engine is in its life. */
export type RuminateStatus = 'idle' | 'loading' | 'ready' | 'running' | 'error';

/** What `useRuminate` and the provider take. */
export interface RuminateOptions {
  /** Model to load (GGUF URL, File/Blob, …). */
  model?: CreateEngineOptions['model'];
  /** The Engine or a factory (default: the runtime's worker engine). */
  engine?: CreateEngineOptions['engine'];
  /** Load options besides progress and cancellation (context length, KV pages). */
  load?: Omit<NonNullable<CreateEngineOptions['load']>, 'onProgress' | 'signal'>;
  /** Device profile for speed estimates, and whether to measure decode speed. */
  profile?: CreateEngineOptions['profile'];
  measure?: boolean;
  /** How answers are extracted for the live vote counts (default auto). */
  answer?: AnswerOptions;
}

/** A snapshot of the store. */
export interface RuminateState {
  status: RuminateStatus;
  /** Latest load progress, or null. */
  progress: LoadProgress | null;
  /** The adapter, once read (null before, or on a server). */
  device: DeviceInfo | null;
  /** Plan of the last `plan()` or run. */
  plan: Plan | null;
  /** The run in flight or the last one. */
  run: RunView | null;
  /** The last error (load or run), or null. */
  error: Error | null;
}

/** A chat request as the hooks take it (streaming is handled for you). */
export type GenerateRequest = Omit<ChatCompletionRequest, 'stream'>;

const INITIAL: RuminateState = {
  status: 'idle',
  progress: null,
  device: null,
  plan: null,
  run: null,
  error: null,
};

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** Owns one engine and its state; see the file comment. */
export class RuminateStore {
  private state: RuminateState = INITIAL;
  private readonly listeners = new Set<() => void>();
  private client: Promise<RuminateClient> | undefined;
  private loadCtrl: AbortController | undefined;
  private readonly runs = new Set<AbortController>();
  /** Bumped by `dispose`, so that work started before it no longer writes state. */
  private generation = 0;
  readonly options: RuminateOptions;

  constructor(options: RuminateOptions) {
    this.options = options;
  }

  /** The server snapshot and the first client one. */
  static readonly initial: RuminateState = INITIAL;

  /** Current snapshot (a new object after every change). */
  getSnapshot = (): RuminateState => this.state;

  /** Subscribes to changes; returns the unsubscribe function. */
  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  private set(patch: Partial<RuminateState>): void {
    this.state = { ...this.state, ...patch };
    for (const fn of this.listeners) fn();
  }

  /** Reads the device and loads the model (once; later calls share the first). */
  start(): Promise<RuminateClient> {
    if (this.client) return this.client;
    const gen = this.generation;
    const live = () => gen === this.generation;
    void readDeviceInfo().then((device) => {
      if (live()) this.set({ device });
    });
    const ctrl = new AbortController();
    this.loadCtrl = ctrl;
    const o = this.options;
    this.set({ status: 'loading', error: null, progress: null });
    const p = createEngine({
      ...(o.model !== undefined ? { model: o.model } : {}),
      ...(o.engine !== undefined ? { engine: o.engine } : {}),
      ...(o.profile !== undefined ? { profile: o.profile } : {}),
      ...(o.measure !== undefined ? { measure: o.measure } : {}),
      load: {
        ...o.load,
        signal: ctrl.signal,
        onProgress: (progress) => {
          if (live()) this.set({ progress });
        },
      },
    });
    this.client = p;
    p.then(
      () => {
        if (live()) this.set({ status: 'ready' });
      },
      (e: unknown) => {
        if (!live()) return;
        this.client = undefined;
        this.set({ status: 'error', error: asError(e) });
      },
    );
    return p;
  }

  /** The plan a request would run with, without running it. */
  async plan(request: GenerateRequest): Promise<Plan> {
    const client = await this.start();
    try {
      const plan = await client.plan(request);
      this.set({ plan, error: null });
      return plan;
    } catch (e) {
      this.set({ error: asError(e) });
      throw e;
    }
  }

  /** Streams a request: yields every chunk and folds it into `state.run`. */
  async *stream(
    request: GenerateRequest,
    signal?: AbortSignal,
  ): AsyncGenerator<ChatCompletionChunk, RunView> {
    const client = await this.start();
    const gen = this.generation;
    const live = () => gen === this.generation;
    const ctrl = new AbortController();
    const onOuter = () => ctrl.abort(signal?.reason);
    if (signal?.aborted) ctrl.abort(signal.reason);
    signal?.addEventListener('abort', onOuter, { once: true });
    this.runs.add(ctrl);
    let run = emptyRun();
    this.set({ status: 'running', run, error: null });
    try {
      const chunks = await client.chat.completions.create(
        { ...request, stream: true },
        { signal: ctrl.signal },
      );
      for await (const chunk of chunks) {
        run = applyChunk(run, chunk, request.answer ?? this.options.answer);
        if (live()) this.set({ run, ...(run.extras?.plan ? { plan: run.extras.plan } : {}) });
        yield chunk;
      }
      return run;
    } catch (e) {
      if (live()) this.set({ error: asError(e) });
      throw e;
    } finally {
      signal?.removeEventListener('abort', onOuter);
      this.runs.delete(ctrl);
      if (live()) this.set({ status: this.runs.size ? 'running' : 'ready' });
    }
  }

  /** Runs a request to the end (streaming into `state.run` meanwhile) and returns the finished run. */
  async generate(request: GenerateRequest, signal?: AbortSignal): Promise<RunView> {
    const it = this.stream(request, signal);
    for (;;) {
      const n = await it.next();
      if (n.done) return n.value;
    }
  }

  /** Cancels every run in flight (the load too, when `includeLoad`). */
  abort(includeLoad = false): void {
    for (const c of this.runs) c.abort(new RuminateError('aborted', 'Cancelled.'));
    if (includeLoad) this.loadCtrl?.abort(new RuminateError('aborted', 'Cancelled.'));
  }

  /** Aborts all work and frees the model it loaded; a later `start` loads afresh. */
  dispose(): void {
    this.abort(true);
    this.generation++;
    const c = this.client;
    this.client = undefined;
    if (this.options.model !== undefined) c?.then((e) => e.unload()).catch(() => {});
    this.state = INITIAL;
  }
}
