import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Builds WebLLM's example apps copied into e2e/webllm-examples/ (each folder's .html with its
// scripts and workers) into e2e/.tmp/dist/webllm-examples, served at /e2e/webllm-examples/.
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, 'webllm-examples');
const input = Object.fromEntries(
  readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory())
    .flatMap((d) =>
      readdirSync(join(root, d))
        .filter((f) => f.endsWith('.html'))
        .map((f) => [`${d}/${f.replace(/\.html$/, '')}`, join(root, d, f)]),
    ),
);

export default defineConfig({
  root,
  base: '/e2e/webllm-examples/',
  logLevel: 'warn',
  build: {
    outDir: join(here, '.tmp/dist/webllm-examples'),
    emptyOutDir: true,
    rollupOptions: { input },
    target: 'es2022',
  },
  worker: { format: 'es' },
});
