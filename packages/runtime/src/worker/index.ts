// @ruminate/runtime/worker: the one way to run the engine off the main thread. A worker entry is
// `serveEngine(options)`; a page starts or joins it with `createWorkerEngine({ url?, shared? })`.

export type { RemoteEngine } from './connect-engine.ts';
export {
  type CreateWorkerEngineOptions,
  createWorkerEngine,
  type WorkerEngine,
} from './create-worker-engine.ts';
export { exposeEngine, type ServeEngineOptions, serveEngine } from './serve-engine.ts';
