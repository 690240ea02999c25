// The default engine of the script bundle: the runtime in ruminate-worker-<version>.js, found next
// to the bundle file. Same origin: started from its URL; another origin (a CDN): started from a
// one-line blob module that imports it (needs CORS on the CDN and `worker-src blob:` under CSP).
import { RuminateError } from '@ruminate/controller';
import { connectEngine } from '@ruminate/runtime';
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
  const target = new URL(url, typeof location !== 'undefined' ? location.href : undefined);
  let worker: Worker;
  if (typeof location !== 'undefined' && target.origin === location.origin) {
    worker = new Worker(target, { type: 'module', name: 'ruminate-engine' });
  } else {
    const blob = new Blob([`import ${JSON.stringify(target.href)};`], { type: 'text/javascript' });
    const blobUrl = URL.createObjectURL(blob);
    worker = new Worker(blobUrl, { type: 'module', name: 'ruminate-engine' });
    URL.revokeObjectURL(blobUrl);
  }
  const remote = connectEngine(worker);
  // A worker that fails to start (404, CSP, syntax) never answers: fail the load instead of waiting.
  const failed = new Promise<never>((_, reject) =>
    worker.addEventListener(
      'error',
      (e) =>
        reject(
          new RuminateError(
            'internal',
            `The engine worker ${target.href} failed to start${e.message ? ` (${e.message})` : ''}; serve ruminate-worker-${VERSION}.js beside the bundle, or pass an engine.`,
          ),
        ),
      { once: true },
    ),
  );
  failed.catch(() => {});
  const load: Engine['load'] = (source, opts) => Promise.race([remote.load(source, opts), failed]);
  const unload = async () => {
    try {
      await remote.unload();
    } finally {
      worker.terminate();
    }
  };
  return new Proxy(remote, {
    get: (t, prop, receiver) =>
      prop === 'unload' ? unload : prop === 'load' ? load : Reflect.get(t, prop, receiver),
  }) as unknown as Engine;
}
