// The playground's engine worker: the runtime's engine served with comlink, opening URLs (HTTP
// range reads) and local files through the runtime's loading module.
import { createSourceOpener, exposeEngine, RuminateEngine } from '@ruminate/runtime';

exposeEngine(
  globalThis as unknown as Parameters<typeof exposeEngine>[0],
  new RuminateEngine({ openSource: createSourceOpener() }),
);
