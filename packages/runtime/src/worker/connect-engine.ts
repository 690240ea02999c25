// The page side of a worker-hosted engine: a comlink proxy with the Engine's methods (each
// returns a Promise), plus `abort()`.
import * as Comlink from 'comlink';
import type { RuminateEngine } from '../engine/ruminate-engine.ts';
import type { LoadOptions, ModelSource } from '../engine/types.ts';
import { installErrorTransfer } from './error-transfer.ts';

/** An engine in a worker, as the page sees it. */
export type RemoteEngine = Comlink.Remote<RuminateEngine>;

/** Connects to an engine served by engine-worker.ts, shared-engine-worker.ts, or `exposeEngine` on a port. */
export function connectEngine(target: Worker | SharedWorker | MessagePort | Comlink.Endpoint): RemoteEngine {
  installErrorTransfer();
  let endpoint: Comlink.Endpoint;
  if (typeof SharedWorker !== 'undefined' && target instanceof SharedWorker) {
    target.port.start();
    endpoint = target.port;
  } else endpoint = target as Comlink.Endpoint;
  const remote = Comlink.wrap<RuminateEngine>(endpoint);
  // Functions inside an options object cannot cross the port: send onProgress as its own
  // proxied argument. (An AbortSignal cannot cross either; abort steps with `abort()`.)
  const load = (source: ModelSource, opts: LoadOptions = {}) => {
    const { onProgress, signal: _signal, ...rest } = opts;
    return remote.loadWithProgress(source, rest, onProgress ? Comlink.proxy(onProgress) : undefined);
  };
  return new Proxy(remote, {
    get: (target, prop, receiver) => (prop === 'load' ? load : Reflect.get(target, prop, receiver)),
  });
}
