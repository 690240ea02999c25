// The page side of a worker-hosted engine: a comlink proxy typed on the Engine contract (plus
// abort and whenTuned), so nothing outside the contract crosses the boundary.
import type { TuneReport } from '@ruminate/gpu';
import * as Comlink from 'comlink';
import type { RuminateEngine } from '../engine/ruminate-engine.ts';
import type { Engine, LoadOptions, ModelSource } from '../engine/types.ts';
import { installErrorTransfer } from './error-transfer.ts';

/** An engine in a worker, as the page sees it: the Engine contract, plus stopping a step and waiting for tuning. */
export interface RemoteEngine extends Engine {
  /** Stops the running step before its next forward pass (it rejects with `aborted`). */
  abort(): Promise<void>;
  /** The report of the background tuning started by the last load, once it has finished (undefined when none ran). */
  whenTuned(): Promise<TuneReport | undefined>;
}

/** What the worker serves: the remote engine's methods, and load with its progress callback as its own argument. */
type Served = RemoteEngine & Pick<RuminateEngine, 'loadWithProgress'>;

/** Connects to an engine served by serveEngine (a Worker or SharedWorker) or by exposeEngine on a port. */
export function connectEngine(target: Worker | SharedWorker | MessagePort | Comlink.Endpoint): RemoteEngine {
  installErrorTransfer();
  let endpoint: Comlink.Endpoint;
  if (typeof SharedWorker !== 'undefined' && target instanceof SharedWorker) {
    target.port.start();
    endpoint = target.port;
  } else endpoint = target as Comlink.Endpoint;
  const remote = Comlink.wrap<Served>(endpoint);
  // Functions inside an options object cannot cross the port: send onProgress as its own
  // proxied argument. (An AbortSignal cannot cross either; abort steps with `abort()`.)
  const load = (source: ModelSource, opts: LoadOptions = {}) => {
    const { onProgress, signal: _signal, ...rest } = opts;
    return remote.loadWithProgress(source, rest, onProgress ? Comlink.proxy(onProgress) : undefined);
  };
  return new Proxy(remote, {
    get: (target, prop, receiver) => (prop === 'load' ? load : Reflect.get(target, prop, receiver)),
  }) as unknown as RemoteEngine;
}
