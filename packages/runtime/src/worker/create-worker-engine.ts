// The page side of the one worker path: starts (or joins) an engine worker and connects this page
// to it. By default the runtime's own entries: one SharedWorker for every tab of the origin where
// the browser has SharedWorker (one device, one model in GPU memory, one KV cache for all tabs),
// else a dedicated Web Worker for this page alone. A built worker file (`url`) or a worker the
// caller started (`worker`) serves the same engine through serveEngine.
import { RuminateError } from '@ruminate/errors';
import * as Comlink from 'comlink';
import { startBuiltinWorker } from './builtin-workers.ts';
import { connectEngine, type RemoteEngine } from './connect-engine.ts';
import { startUrlWorker } from './url-worker.ts';

/** Options of createWorkerEngine. */
export interface CreateWorkerEngineOptions {
  /** A built worker file whose entry calls serveEngine (default: the runtime's own entries); one on another origin starts from a blob module that imports it (needs CORS there, and `worker-src blob:` under a CSP). */
  url?: string | URL;
  /** A worker the caller started on an entry that calls serveEngine (bundlers build `new Worker(new URL('./entry.ts', import.meta.url), { type: 'module' })`). */
  worker?: Worker | SharedWorker;
  /** Share one engine among the origin's tabs through a SharedWorker when the browser has one (default true). */
  shared?: boolean;
  /** The worker's name; tabs that use the same name (and the same built worker file) share one engine (default `ruminate-engine`). */
  name?: string;
  /** `engine.unload()` also closes this page's connection, ending a dedicated worker: for an engine the page owns alone (default false). */
  closeOnUnload?: boolean;
}

/** A worker-hosted engine, how it is hosted, and how to let it go. */
export interface WorkerEngine {
  /** The engine, as the page sees it (every method returns a Promise; one that fails to start rejects with `worker-failed`). */
  engine: RemoteEngine;
  /** `shared`: a SharedWorker other tabs may also use; `dedicated`: a Worker of this page only. */
  kind: 'shared' | 'dedicated';
  /** Disconnects this page: ends a dedicated worker; a shared one keeps serving the tabs still connected. */
  close(): void;
}

const isShared = (w: Worker | SharedWorker): w is SharedWorker =>
  typeof SharedWorker !== 'undefined' && w instanceof SharedWorker;

/** Rejects when `worker` fails to start (404, CSP, a syntax error): such a worker never answers. */
function startFailure(worker: Worker | SharedWorker, href: string): Promise<never> {
  const failed = new Promise<never>((_, reject) =>
    worker.addEventListener(
      'error',
      (e) =>
        reject(
          new RuminateError(
            'worker-failed',
            `The engine worker ${href} failed to start${(e as ErrorEvent).message ? ` (${(e as ErrorEvent).message})` : ''}; serve the worker file, or pass an engine.`,
          ),
        ),
      { once: true },
    ),
  );
  failed.catch(() => {});
  return failed;
}

/** Starts (or joins) an engine worker: a SharedWorker unless `shared: false` or the browser has none, else a dedicated Worker. */
export function createWorkerEngine(options: CreateWorkerEngineOptions = {}): WorkerEngine {
  const name = options.name ?? 'ruminate-engine';
  const shared = options.shared !== false && typeof SharedWorker !== 'undefined';
  const started = options.worker
    ? { worker: options.worker, href: 'passed to createWorkerEngine' }
    : options.url !== undefined
      ? startUrlWorker(options.url, shared, name)
      : { worker: startBuiltinWorker(shared, name), href: '@ruminate/runtime/worker' };
  const { worker } = started;
  const remote = connectEngine(worker);
  const failed = startFailure(worker, started.href);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    // A shared worker: comlink's release closes this tab's port on both sides; the engine stays with the others.
    if (isShared(worker)) (remote as unknown as Comlink.Remote<unknown>)[Comlink.releaseProxy]();
    else worker.terminate();
  };
  const unload = async () => {
    try {
      await remote.unload();
    } finally {
      close();
    }
  };
  // Every call races the start failure, so a worker that never starts fails the call instead of hanging it.
  const engine = new Proxy(remote, {
    get(target, prop, receiver) {
      if (prop === 'unload' && options.closeOnUnload) return () => Promise.race([unload(), failed]);
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        Promise.race([(value as (...a: unknown[]) => Promise<unknown>)(...args), failed]);
    },
  });
  return { engine, kind: isShared(worker) ? 'shared' : 'dedicated', close };
}
