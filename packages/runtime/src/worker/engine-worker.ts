// The runtime's dedicated Web Worker entry, started by createWorkerEngine({ shared: false }).
import { serveEngine } from './serve-engine.ts';

serveEngine();
