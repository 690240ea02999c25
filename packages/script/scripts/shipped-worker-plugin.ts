// A Vite plugin for the bundle builds: the runtime's own worker entries (builtin-workers.ts) are
// replaced by src/shipped-worker.ts, which starts the worker file shipped beside the bundle.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const shipped = join(dirname(fileURLToPath(import.meta.url)), '../src/shipped-worker.ts');

/** Resolves the runtime's builtin-workers.ts to the script package's shipped-worker.ts. */
export const shippedWorker: Plugin = {
  name: 'ruminate-shipped-worker',
  enforce: 'pre',
  async resolveId(source, importer) {
    if (!source.endsWith('/builtin-workers.ts') || !importer?.includes('/runtime/src/worker/')) return null;
    return shipped;
  },
};
