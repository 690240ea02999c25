// Starts the runtime's engine in a dedicated Web Worker (bundled by Vite from the
// `new URL(…, import.meta.url)` below) and returns its Engine proxy.
import type { RuminateEngine as Client } from '@ruminate/controller';
import { connectEngine } from '@ruminate/runtime';

/** A worker-hosted Engine; terminate the worker with `engine.unload()` then dropping it. */
export function workerEngine(): Client['engine'] {
  const worker = new Worker(new URL('./engine-worker.ts', import.meta.url), {
    type: 'module',
    name: 'ruminate-engine',
  });
  return connectEngine(worker) as unknown as Client['engine'];
}
