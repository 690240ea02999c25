import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
// A relative import: Vite bundles it into the config (a package import would reach Node as .ts).
import { ortAssets } from '../../packages/transformers/src/build/ort-assets.ts';

// Builds every bench/pages/*.html into bench/.tmp/dist, served at /bench/.
const here = dirname(fileURLToPath(import.meta.url));
const input = Object.fromEntries(
  readdirSync(here)
    .filter((f) => f.endsWith('.html'))
    .map((f) => [f.replace(/\.html$/, ''), join(here, f)]),
);

export default defineConfig({
  root: here,
  base: '/bench/',
  logLevel: 'warn',
  build: {
    outDir: join(here, '../.tmp/dist'),
    emptyOutDir: true,
    rollupOptions: { input },
    target: 'es2022',
  },
  // onnxruntime-web's wasm files for transformers.js, served at /bench/ort/ (no CDN offline).
  plugins: [ortAssets('ort')],
  worker: { format: 'es' },
});
