// SharedWorker entry: every tab of the origin that connects shares ONE engine (one device, one
// model in GPU memory, one KV cache). `new SharedWorker(new URL('./shared-engine-worker.ts',
// import.meta.url), { type: 'module' })`, then `connectEngine(shared)` in each tab (or
// `createWorkerEngine()` from `@ruminate/runtime/worker`). Each connection gets its own
// EngineSession: tabs' steps queue instead of failing, and a tab's sequences are freed when it
// releases its proxy or its port closes.
import * as Comlink from 'comlink';
import { RuminateEngine } from '../engine/ruminate-engine.ts';
import { EngineSession, StepQueue } from './engine-session.ts';
import { installErrorTransfer } from './error-transfer.ts';

const engine = new RuminateEngine();
const queue = new StepQueue();

(globalThis as unknown as { onconnect: (e: MessageEvent) => void }).onconnect = (e: MessageEvent) => {
  const port = e.ports[0];
  if (!port) return;
  installErrorTransfer();
  const session = new EngineSession(engine, queue);
  Comlink.expose(session, port);
  // Where the browser reports a port closing (its tab went away without releasing), free its sequences.
  port.addEventListener('close', () => void session.close());
};
