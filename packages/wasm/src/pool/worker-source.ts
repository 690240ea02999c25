import {
  ABORT,
  BAR_COUNT,
  BAR_GEN,
  COMPLETE,
  DONE,
  FAULT_OP,
  FAULT_THREAD,
  GEN,
  HEADER_WORDS,
  OP_COUNT,
  OP_WORDS,
  SHUTDOWN,
  STATUS,
  STATUS_ABORTED,
  STATUS_FAULT,
  STOP,
  STOP_OP,
} from './control.ts';
import { FAULT_INJECTION_FN } from './program.ts';

/** First message to a worker: what it runs and where. */
export interface WorkerInit {
  /** The kernels' module (imports env.memory). */
  module: WebAssembly.Module;
  /** The shared memory. */
  memory: WebAssembly.Memory;
  /** Exports in op fn order. */
  exportNames: readonly string[];
  /** Byte offset of the control region. */
  control: number;
  /** Words of the control region. */
  controlWords: number;
  /** This worker's thread index. */
  thread: number;
  /** Compute threads in the pool. */
  threads: number;
  /** Atomics.load iterations a thread spins at a barrier before it sleeps in Atomics.wait. */
  spin: number;
  /** Iterations a thread spins for the next run before it sleeps. */
  idleSpin: number;
  /** GEN when the pool started: the first run is the first change from it. */
  generation: number;
  /** Whether the last thread to finish a run posts { type: 'done' } (engines without Atomics.waitAsync). */
  postDone: boolean;
}

/** What a worker posts to the engine. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done' }
  | { type: 'fault'; op: number; thread: number; message: string }
  | { type: 'fatal'; message: string };

/**
 * The pool's worker, as a self-contained script (no imports; runs as a Blob-URL Web Worker or a
 * Node eval worker). It instantiates the module once, then loops without returning to its event
 * loop: sleep on GEN, walk the program (call, barrier, next op), count itself DONE.
 */
export const WORKER_SOURCE = `'use strict';
const nodePort = typeof require === 'function' && typeof process === 'object' ? require('node:worker_threads').parentPort : null;
const post = (m) => (nodePort ? nodePort.postMessage(m) : self.postMessage(m));
const die = () => {
  if (nodePort) process.exit(1);
  throw new Error('fault injection: thread died');
};
const start = (init) => {
  WebAssembly.instantiate(init.module, { env: { memory: init.memory } }).then(
    (instance) => {
      post({ type: 'ready' });
      try {
        loop(init, instance);
      } catch (e) {
        post({ type: 'fatal', message: String((e && e.stack) || e) });
        if (nodePort) process.exit(1);
        else self.close();
      }
    },
    (e) => post({ type: 'fatal', message: 'instantiate failed: ' + String((e && e.message) || e) }),
  );
};
if (nodePort) nodePort.once('message', start);
else self.onmessage = (e) => { self.onmessage = null; start(e.data); };

function loop(init, instance) {
  const c = new Int32Array(init.memory.buffer, init.control, init.controlWords);
  const t = init.thread, n = init.threads, spin = init.spin, idleSpin = init.idleSpin;
  const fns = init.exportNames.map((name) => instance.exports[name]);
  const argv = [];
  const barrier = (i) => {
    const g = Atomics.load(c, ${BAR_GEN});
    if (Atomics.add(c, ${BAR_COUNT}, 1) === n - 1) {
      Atomics.store(c, ${BAR_COUNT}, 0);
      if (Atomics.load(c, ${STATUS}) !== 0) Atomics.store(c, ${STOP}, 1);
      else if (Atomics.load(c, ${ABORT}) !== 0) {
        Atomics.store(c, ${STATUS}, ${STATUS_ABORTED});
        Atomics.store(c, ${STOP_OP}, i + 1);
        Atomics.store(c, ${STOP}, 1);
      }
      Atomics.add(c, ${BAR_GEN}, 1);
      Atomics.notify(c, ${BAR_GEN});
    } else {
      let s = spin;
      while (Atomics.load(c, ${BAR_GEN}) === g) {
        if (s > 0) s--;
        else Atomics.wait(c, ${BAR_GEN}, g);
      }
    }
    return Atomics.load(c, ${STOP}) !== 0;
  };
  const runProgram = () => {
    const ops = Atomics.load(c, ${OP_COUNT});
    for (let i = 0; i < ops; i++) {
      const base = ${HEADER_WORDS} + i * ${OP_WORDS};
      const fn = c[base], argc = c[base + 1];
      if (fn === ${FAULT_INJECTION_FN}) {
        if (c[base + 2] === t) die();
      } else {
        argv.length = argc + 2;
        for (let a = 0; a < argc; a++) argv[a] = c[base + 2 + a];
        argv[argc] = t;
        argv[argc + 1] = n;
        try {
          fns[fn].apply(null, argv);
        } catch (e) {
          if (Atomics.compareExchange(c, ${STATUS}, 0, ${STATUS_FAULT}) === 0) {
            Atomics.store(c, ${FAULT_OP}, i);
            Atomics.store(c, ${FAULT_THREAD}, t);
            post({ type: 'fault', op: i, thread: t, message: String((e && e.message) || e) });
          }
        }
      }
      if (i + 1 < ops && barrier(i)) return;
    }
  };
  let seen = init.generation;
  for (;;) {
    let g = Atomics.load(c, ${GEN});
    for (let s = idleSpin; g === seen && s > 0; s--) g = Atomics.load(c, ${GEN});
    while (g === seen) {
      Atomics.wait(c, ${GEN}, seen);
      g = Atomics.load(c, ${GEN});
    }
    seen = g;
    if (Atomics.load(c, ${SHUTDOWN}) !== 0) return;
    runProgram();
    if (Atomics.add(c, ${DONE}, 1) === n - 1) {
      Atomics.store(c, ${DONE}, 0);
      Atomics.add(c, ${COMPLETE}, 1);
      Atomics.notify(c, ${COMPLETE});
      if (init.postDone) post({ type: 'done' });
    }
  }
}
`;
