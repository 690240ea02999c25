// Dedicated Web Worker entry: `new Worker(new URL('./engine-worker.ts', import.meta.url), { type: 'module' })`,
// then `connectEngine(worker)` on the page. The engine (device, model, KV cache) lives here.
import type { Endpoint } from 'comlink';
import { exposeEngine } from './expose-engine.ts';

exposeEngine(globalThis as unknown as Endpoint);
