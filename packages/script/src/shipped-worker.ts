// The runtime's default worker, as the script bundle has it: scripts/build.ts puts this module in
// place of the runtime's builtin-workers.ts, so that `createWorkerEngine()` and the controller's
// default engine start the worker file shipped beside the bundle (ruminate-worker-<version>.js)
// instead of carrying two more engine bundles.
import { startUrlWorker } from '../../runtime/src/worker/url-worker.ts';
import { workerUrl } from './bundled-worker.ts';

/** Starts ruminate-worker-<version>.js (a dedicated Worker: a cross-origin file cannot be shared). */
export function startBuiltinWorker(_shared: boolean, name: string): Worker | SharedWorker {
  return startUrlWorker(workerUrl(), false, name).worker;
}
