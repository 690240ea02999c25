// React bindings: RuminateProvider (one engine for a subtree), useRuminate (state + actions) and
// useCompletion (streaming text). Work a component starts is aborted when it unmounts. Nothing
// here touches the DOM or navigator until an effect runs, so server rendering is safe.
import type { ChatCompletionChunk, Plan, ToolCall } from '@ruminate/controller';
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import type { DeviceInfo } from './device-info.ts';
import {
  type GenerateRequest,
  type LoadProgress,
  type RuminateOptions,
  type RuminateState,
  type RuminateStatus,
  RuminateStore,
} from './ruminate-store.ts';
import type { CandidateView, RunView } from './run-view.ts';

const StoreContext = createContext<RuminateStore | null>(null);

/** Props of RuminateProvider: options to create one engine, or a store you made. */
export type RuminateProviderProps = { children?: ReactNode } & (
  | { options: RuminateOptions; store?: undefined }
  | { store: RuminateStore; options?: undefined }
);

/** Shares one engine with every `useRuminate()` / `useCompletion()` below it; frees it on unmount. */
export function RuminateProvider(props: RuminateProviderProps) {
  const store = useOwnedStore(props.store ? undefined : props.options, props.store);
  return <StoreContext.Provider value={store}>{props.children}</StoreContext.Provider>;
}

/**
 * A store owned by the calling component, or `given`. A new engine is made only when `model`
 * changes, or `engine` changes to another Engine object (an inline factory function does not count,
 * so `engine: () => …` written in render is fine).
 */
function useOwnedStore(
  options: RuminateOptions | undefined,
  given?: RuminateStore | null,
): RuminateStore | null {
  const model = options?.model;
  const engineKey = typeof options?.engine === 'function' ? 'factory' : options?.engine;
  const latest = useRef(options);
  latest.current = options;
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new engine only when the model or engine object changes
  const owned = useMemo(
    () => (latest.current && !given ? new RuminateStore(latest.current) : null),
    [model, engineKey, given, options === undefined],
  );
  useEffect(() => {
    if (!owned) return;
    owned.start().catch(() => {});
    return () => owned.dispose();
  }, [owned]);
  return given ?? owned;
}

/** What `useRuminate` returns. */
export interface UseRuminate {
  /** idle → loading → ready ⇄ running, or error. */
  status: RuminateStatus;
  /** Latest load progress (download, upload, compile, tune), or null. */
  progress: LoadProgress | null;
  /** The WebGPU adapter, or why there is none (null until read, and on the server). */
  device: DeviceInfo | null;
  /** Asks the planner what a request would do (N, batch width, expected time) without running it. */
  plan: (request: GenerateRequest) => Promise<Plan>;
  /** Runs a request to the end; `run` updates live meanwhile. */
  generate: (request: GenerateRequest) => Promise<RunView>;
  /** Runs a request and yields its chunks (each candidate's deltas, then the result). */
  stream: (request: GenerateRequest) => AsyncGenerator<ChatCompletionChunk, RunView>;
  /** Cancels this component's runs in flight. */
  abort: () => void;
  /** The run in flight or the last one (candidates, text, votes, trace). */
  run: RunView | null;
  /** The last finished run, or null. */
  result: RunView | null;
  /** The last error, or null. */
  error: Error | null;
  /** The last plan, or null. */
  lastPlan: Plan | null;
}

const serverSnapshot = (): RuminateState => RuminateStore.initial;
const noStore = {
  subscribe: () => () => {},
  getSnapshot: serverSnapshot,
};

/**
 * The engine's state and actions. With `options`, this component owns an engine; without, it
 * uses the nearest RuminateProvider's. Unmounting aborts the runs this component started.
 */
export function useRuminate(options?: RuminateOptions): UseRuminate {
  const shared = useContext(StoreContext);
  const store = useOwnedStore(options, options ? null : shared);
  const src = store ?? noStore;
  const state = useSyncExternalStore(src.subscribe, src.getSnapshot, serverSnapshot);
  const mine = useRef(new Set<AbortController>());
  useEffect(() => {
    const runs = mine.current;
    return () => {
      for (const c of runs) c.abort();
      runs.clear();
    };
  }, []);
  const need = useCallback((): RuminateStore => {
    if (!store) throw new Error('useRuminate() needs options or a <RuminateProvider> above it.');
    return store;
  }, [store]);
  const stream = useCallback(
    (request: GenerateRequest) => {
      const s = need();
      const ctrl = new AbortController();
      mine.current.add(ctrl);
      const inner = s.stream(request, ctrl.signal);
      const done = () => mine.current.delete(ctrl);
      return (async function* () {
        try {
          return yield* inner;
        } finally {
          done();
        }
      })();
    },
    [need],
  );
  const generate = useCallback(
    async (request: GenerateRequest) => {
      const it = stream(request);
      for (;;) {
        const n = await it.next();
        if (n.done) return n.value;
      }
    },
    [stream],
  );
  const plan = useCallback((request: GenerateRequest) => need().plan(request), [need]);
  const abort = useCallback(() => {
    for (const c of mine.current) c.abort();
  }, []);
  return {
    status: state.status,
    progress: state.progress,
    device: state.device,
    plan,
    generate,
    stream,
    abort,
    run: state.run,
    result: state.run?.done ? state.run : null,
    error: state.error,
    lastPlan: state.plan,
  };
}

/** What `useCompletion` returns. */
export interface UseCompletion {
  /** The answer so far: streams for greedy/sample; for voting strategies the leading candidate's text until the winner is known. */
  text: string;
  /** Every candidate, live. */
  candidates: CandidateView[];
  /** The functions the answer calls (a request with `tools`), once it is known; else null. */
  toolCalls: ToolCall[] | null;
  /** True while a completion runs. */
  isLoading: boolean;
  /** Sends a prompt (a user message) with optional request fields; resolves with the finished run. */
  complete: (prompt: string, request?: Partial<GenerateRequest>) => Promise<RunView | null>;
  /** Cancels it. */
  abort: () => void;
  /** The finished run, or null. */
  result: RunView | null;
  /** The last error, or null (an abort is not an error). */
  error: Error | null;
  /** Engine status and load progress. */
  status: RuminateStatus;
  progress: LoadProgress | null;
}

function leading(run: RunView | null): string {
  if (!run) return '';
  if (run.done || run.text) return run.text;
  let best: CandidateView | undefined;
  for (const c of run.candidates) {
    if (
      !best ||
      (c.votes ?? 0) > (best.votes ?? 0) ||
      ((c.votes ?? 0) === (best.votes ?? 0) && c.text.length > best.text.length)
    ) {
      best = c;
    }
  }
  return best?.text ?? '';
}

/** Streaming text completion over the engine of `options` or the nearest provider. */
export function useCompletion(options?: RuminateOptions): UseCompletion {
  const r = useRuminate(options);
  const [mineRun, setMineRun] = useState<RunView | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const { stream } = r;
  const complete = useCallback(
    async (prompt: string, request: Partial<GenerateRequest> = {}) => {
      setLoading(true);
      setError(null);
      try {
        const it = stream({
          ...request,
          messages: [...(request.messages ?? []), { role: 'user', content: prompt }],
        });
        for (;;) {
          const n = await it.next();
          if (n.done) {
            setMineRun(n.value);
            return n.value;
          }
        }
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        if ((err as { code?: string }).code !== 'aborted') setError(err);
        return null;
      } finally {
        setLoading(false);
      }
    },
    [stream],
  );
  const live = loading ? r.run : mineRun;
  return {
    text: leading(live),
    candidates: live?.candidates ?? [],
    toolCalls: live?.toolCalls ?? null,
    isLoading: loading,
    complete,
    abort: r.abort,
    result: mineRun,
    error,
    status: r.status,
    progress: r.progress,
  };
}
