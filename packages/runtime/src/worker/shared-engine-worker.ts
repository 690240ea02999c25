// SharedWorker entry: every tab of the origin that connects shares ONE engine (one device, one
// model in GPU memory, one KV cache). `new SharedWorker(new URL('./shared-engine-worker.ts',
// import.meta.url), { type: 'module' })`, then `connectEngine(shared)` in each tab.
import type { Endpoint } from 'comlink';
import { RuminateEngine } from '../engine/ruminate-engine.ts';
import { exposeEngine } from './expose-engine.ts';

const engine = new RuminateEngine();

(globalThis as unknown as { onconnect: (e: MessageEvent) => void }).onconnect = (e: MessageEvent) => {
  const port = e.ports[0];
  if (port) exposeEngine(port as unknown as Endpoint, engine);
};
