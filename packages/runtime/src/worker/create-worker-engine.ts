// Starts the runtime's engine off the main thread and connects this page to it: one SharedWorker
// for every tab of the origin where the browser has SharedWorker (one device, one model in GPU
// memory, one KV cache for all tabs), else a dedicated Web Worker for this page alone. Bundlers
// that understand `new (Shared)Worker(new URL('…', import.meta.url))` (Vite, webpack 5) build and
// emit both worker files wherever this module is imported, so it is its own entry point,
// `@ruminate/runtime/worker`, not part of the main index (apps and bundles that bring their own
// worker, like @ruminate/script and the playground, would carry two unused engine bundles).
import * as Comlink from 'comlink';
import { connectEngine, type RemoteEngine } from './connect-engine.ts';

/** Options of createWorkerEngine. */
export interface CreateWorkerEngineOptions {
  /** Share one engine among the origin's tabs through a SharedWorker when the browser has one (default true). */
  shared?: boolean;
  /** The worker's name; tabs that use the same name (and the same built worker file) share one engine (default `ruminate-engine`). */
  name?: string;
}

/** A worker-hosted engine, how it is hosted, and how to let it go. */
export interface WorkerEngine {
  /** The engine, as the page sees it (every method returns a Promise). */
  engine: RemoteEngine;
  /** `shared`: a SharedWorker other tabs may also use; `dedicated`: a Worker of this page only. */
  kind: 'shared' | 'dedicated';
  /** Disconnects this page: ends a dedicated worker; a shared one keeps serving the tabs still connected. */
  close(): void;
}

/** Starts (or joins) the engine worker: a SharedWorker unless `shared: false` or the browser has none, else a dedicated Worker. */
export function createWorkerEngine(options: CreateWorkerEngineOptions = {}): WorkerEngine {
  const name = options.name ?? 'ruminate-engine';
  if (options.shared !== false && typeof SharedWorker !== 'undefined') {
    const worker = new SharedWorker(new URL('./shared-engine-worker.ts', import.meta.url), {
      type: 'module',
      name,
    });
    const engine = connectEngine(worker);
    let closed = false;
    return {
      engine,
      kind: 'shared',
      close() {
        if (closed) return;
        closed = true;
        // Comlink's release closes this tab's port on both sides; the engine stays with the others.
        engine[Comlink.releaseProxy]();
      },
    };
  }
  const worker = new Worker(new URL('./engine-worker.ts', import.meta.url), { type: 'module', name });
  return { engine: connectEngine(worker), kind: 'dedicated', close: () => worker.terminate() };
}
