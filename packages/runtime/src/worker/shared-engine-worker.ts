// The runtime's SharedWorker entry, started by createWorkerEngine(): every tab of the origin that
// connects shares its one engine (one device, one model in GPU memory, one KV cache).
import { serveEngine } from './serve-engine.ts';

serveEngine();
