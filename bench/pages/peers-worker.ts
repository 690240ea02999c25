// Worker entry for the peers benchmark: the runtime's engine served with comlink, opening URL
// sources through the loading module (HTTP range reads from the bench server, no cache, so
// every load fetches the file the way wllama's does).
import { createSourceOpener, exposeEngine, RuminateEngine } from '@ruminate/runtime';

exposeEngine(
  globalThis as unknown as Parameters<typeof exposeEngine>[0],
  new RuminateEngine({ openSource: createSourceOpener(), maxSequences: 40 }),
);
