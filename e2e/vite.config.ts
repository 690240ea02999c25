import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
// A relative import: Vite bundles it into the config (a package import would reach Node as .ts).
import { ortAssets } from '../packages/transformers/src/build/ort-assets.ts';

// Builds every e2e/pages/*.html (with their workers) into e2e/.tmp/dist, served at /e2e/.
const here = dirname(fileURLToPath(import.meta.url));
const pages = join(here, 'pages');
const input = Object.fromEntries(
  readdirSync(pages)
    .filter((f) => f.endsWith('.html'))
    .map((f) => [f.replace(/\.html$/, ''), join(pages, f)]),
);

export default defineConfig({
  root: pages,
  base: '/e2e/',
  logLevel: 'warn',
  build: { outDir: join(here, '.tmp/dist'), emptyOutDir: true, rollupOptions: { input }, target: 'es2022' },
  // onnxruntime-web's wasm files for the transformers.js page, served at /e2e/ort/ (no CDN offline).
  plugins: [ortAssets('ort')],
  worker: { format: 'es' },
});
