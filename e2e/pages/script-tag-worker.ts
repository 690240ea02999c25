// Engine worker for the script-tag page's real-model run: the runtime's engine over comlink,
// opening URLs through the runtime's loading module.
import { createSourceOpener, exposeEngine, RuminateEngine } from '@ruminate/runtime';

exposeEngine(
  globalThis as unknown as Parameters<typeof exposeEngine>[0],
  new RuminateEngine({ openSource: createSourceOpener() }),
);
