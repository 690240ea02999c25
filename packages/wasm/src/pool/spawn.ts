import type { WorkerMessage } from './worker-source.ts';

/** A started worker, browser or Node, behind one interface. */
export interface PoolWorker {
  /** Sends one message (the init message). */
  post(message: unknown): void;
  /** Stops the worker at once; resolves when it is gone. */
  terminate(): Promise<void>;
}

/** What the pool hears from a worker. */
export interface WorkerEvents {
  /** A message the worker posted. */
  message(m: WorkerMessage): void;
  /** The worker died or can no longer be reached (error event, exit, messageerror). */
  failure(reason: string): void;
}

/** True in Node (main thread or a worker_threads worker). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** Starts a worker running `source`: a Node eval worker in Node, else a Blob-URL Web Worker. */
export async function spawnWorker(source: string, events: WorkerEvents): Promise<PoolWorker> {
  if (isNode()) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(source, { eval: true });
    let terminated = false;
    w.on('message', (m: WorkerMessage) => events.message(m));
    w.on('error', (e: Error) => events.failure(`error: ${e.message}`));
    w.on('messageerror', (e: Error) => events.failure(`message could not be read: ${e.message}`));
    w.on('exit', (code: number) => {
      if (!terminated) events.failure(`exited with code ${code}`);
    });
    return {
      post: (m) => w.postMessage(m),
      terminate: async () => {
        terminated = true;
        await w.terminate();
      },
    };
  }
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  let w: Worker;
  try {
    w = new Worker(url);
  } catch (e) {
    URL.revokeObjectURL(url);
    throw e;
  }
  // Revoked once the script has loaded (its first message) or failed, not before: it loads asynchronously.
  const revoke = () => URL.revokeObjectURL(url);
  w.addEventListener('message', (e: MessageEvent<WorkerMessage>) => {
    revoke();
    events.message(e.data);
  });
  w.addEventListener('error', (e: ErrorEvent) => {
    revoke();
    e.preventDefault();
    events.failure(`error: ${e.message || 'the worker failed to load or threw'}`);
  });
  w.addEventListener('messageerror', () => events.failure('a message could not be read'));
  return {
    post: (m) => w.postMessage(m),
    terminate: async () => w.terminate(),
  };
}
