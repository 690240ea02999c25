// Exposes an Engine over a MessagePort-like endpoint with comlink (a Web Worker's global scope,
// a SharedWorker connection port, or a MessageChannel port in tests). Callbacks in LoadOptions
// must be wrapped by the caller with `Comlink.proxy` (functions cannot be cloned).
import * as Comlink from 'comlink';
import { RuminateEngine, type RuminateEngineOptions } from '../engine/ruminate-engine.ts';
import { installErrorTransfer } from './error-transfer.ts';

/** Serves `engine` (default: a new RuminateEngine) on `endpoint`; returns the engine. */
export function exposeEngine(
  endpoint: Comlink.Endpoint,
  engine: RuminateEngine = new RuminateEngine(),
): RuminateEngine {
  installErrorTransfer();
  Comlink.expose(engine, endpoint);
  return engine;
}

/** Options of a worker-hosted engine. */
export type WorkerEngineOptions = RuminateEngineOptions;
