// The engine worker shipped beside the bundle (ruminate-worker-<version>.js): the runtime's engine
// served with comlink, opening URLs, Blobs and split files through the runtime's loading module.
import { createSourceOpener, exposeEngine, RuminateEngine } from '@ruminate/runtime';

exposeEngine(
  globalThis as unknown as Parameters<typeof exposeEngine>[0],
  new RuminateEngine({ openSource: createSourceOpener() }),
);
