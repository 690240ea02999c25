// The worker side of the one worker path: `serveEngine(options)` is the whole of a worker entry.
// In a dedicated Worker it serves one engine on the worker's global scope; in a SharedWorker it
// serves one engine to every connecting tab, each through its own EngineSession (tabs' steps
// queue, a tab's sequences are freed when it lets go). The engine opens sources with its default
// opener, so the header-only fit check runs before any tensor data is downloaded.
import * as Comlink from 'comlink';
import { RuminateEngine, type RuminateEngineOptions } from '../engine/ruminate-engine.ts';
import type { Engine } from '../engine/types.ts';
import { EngineSession, StepQueue } from './engine-session.ts';
import { installErrorTransfer } from './error-transfer.ts';

/** Options of serveEngine: the engine's own (tuning, sequences, a source opener of the worker's). */
export type ServeEngineOptions = RuminateEngineOptions;

/** Serves `engine` (any Engine: Ruminate's, or another library's behind the contract) on one MessagePort-like endpoint (a dedicated worker's scope, or a MessageChannel port in tests). */
export function exposeEngine<E extends Engine>(endpoint: Comlink.Endpoint, engine: E): E {
  installErrorTransfer();
  Comlink.expose(engine, endpoint);
  return engine;
}

/** Starts the engine in this worker and serves it to the page (dedicated) or to every tab (shared); returns it. */
export function serveEngine(options: ServeEngineOptions = {}): RuminateEngine {
  const engine = new RuminateEngine(options);
  const scope = globalThis as unknown as { onconnect?: unknown };
  // A SharedWorkerGlobalScope has an `onconnect` slot (null until set); a dedicated one has not.
  if (!('onconnect' in scope)) return exposeEngine(globalThis as unknown as Comlink.Endpoint, engine);
  installErrorTransfer();
  const queue = new StepQueue();
  scope.onconnect = (e: MessageEvent) => {
    const port = e.ports[0];
    if (!port) return;
    const session = new EngineSession(engine, queue);
    Comlink.expose(session, port);
    // Where the browser reports a port closing (its tab went away without releasing), free its sequences.
    port.addEventListener('close', () => void session.close());
  };
  return engine;
}
