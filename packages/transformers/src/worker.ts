// @ruminate/transformers/worker: a worker entry serving the transformers.js engine to its page
// through the runtime's worker path, so the model never runs on the page's main thread. A page
// starts it with `createWorkerEngine({ worker: new Worker(new URL('./entry.ts', import.meta.url), { type: 'module' }) })`
// where the entry calls `serveTransformersEngine(options)`.
import { exposeEngine } from '@ruminate/runtime/worker';
import {
  type TransformersEngine,
  type TransformersEngineOptions,
  transformersEngine,
} from './transformers-engine.ts';

/** Starts a transformers.js engine in this dedicated worker and serves it to the page. */
export function serveTransformersEngine(options: TransformersEngineOptions = {}): TransformersEngine {
  return exposeEngine(
    globalThis as unknown as Parameters<typeof exposeEngine>[0],
    transformersEngine(options),
  );
}
