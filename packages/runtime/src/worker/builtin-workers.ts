// The runtime's own worker entries, started from URLs that bundlers (Vite, webpack 5) recognise
// in `new (Shared)Worker(new URL('…', import.meta.url))` and build wherever this module is
// imported. A bundle that ships a worker file of its own (@ruminate/script) replaces this module
// at build time so that it does not carry two unused engine bundles.

/** Starts the runtime's SharedWorker entry (`shared`) or its dedicated Worker entry. */
export function startBuiltinWorker(shared: boolean, name: string): Worker | SharedWorker {
  if (shared)
    return new SharedWorker(new URL('./shared-engine-worker.ts', import.meta.url), { type: 'module', name });
  return new Worker(new URL('./engine-worker.ts', import.meta.url), { type: 'module', name });
}
