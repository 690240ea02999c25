// The default engine of the script bundle: the runtime in ruminate-worker-<version>.js, found next
// to the bundle file, started by the runtime's createWorkerEngine (which starts a file on another
// origin, a CDN, from a blob module, and fails the calls of a worker that does not start).
import { createWorkerEngine } from '@ruminate/runtime/worker';
import type { Engine } from './engine-types.ts';
import { VERSION } from './version.ts';

// Captured while the bundle itself runs (document.currentScript is null later, and in modules).
const here: string | undefined =
  typeof document !== 'undefined' && document.currentScript instanceof HTMLScriptElement
    ? document.currentScript.src
    : undefined;

/** Where the worker file is: beside this bundle (an explicit URL wins). */
export function workerUrl(explicit?: string | URL): URL {
  if (explicit) return new URL(explicit, typeof location !== 'undefined' ? location.href : undefined);
  return new URL(`ruminate-worker-${VERSION}.js`, here ?? import.meta.url);
}

/** Starts the runtime in a Web Worker and returns its Engine; `unload()` also ends the worker. */
export function bundledWorkerEngine(url: string | URL = workerUrl()): Engine {
  return createWorkerEngine({ url, shared: false, closeOnUnload: true }).engine;
}
