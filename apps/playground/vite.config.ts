import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// The playground is a static site: `pnpm --filter ./apps/playground build` → apps/playground/dist.
// The bundled model (the first models/*.gguf) and its eval set (models/*-eval.jsonl) are copied
// to dist/models/; the model is offered by default, the eval set feeds the live eval.
const modelsDir = join(dirname(fileURLToPath(import.meta.url)), '../../models');
let bundled: string | undefined;
try {
  bundled = readdirSync(modelsDir)
    .filter((f) => f.endsWith('.gguf'))
    .sort()[0];
} catch {
  bundled = undefined;
}

let evalSet: string | undefined;
try {
  evalSet = readdirSync(modelsDir)
    .filter((f) => f.endsWith('-eval.jsonl'))
    .sort()[0];
} catch {
  evalSet = undefined;
}

const copyModel: Plugin = {
  name: 'ruminate-bundled-model',
  apply: 'build',
  generateBundle() {
    if (evalSet) {
      this.emitFile({
        type: 'asset',
        fileName: `models/${evalSet}`,
        source: readFileSync(join(modelsDir, evalSet)),
      });
    }
    if (bundled)
      this.emitFile({
        type: 'asset',
        fileName: `models/${bundled}`,
        source: readFileSync(join(modelsDir, bundled)),
      });
  },
};

// Cross-origin isolation (COOP/COEP) gives the WebAssembly backend its threads (shared memory);
// without it the model runs on one thread. A static host must send the same two headers.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: './',
  server: { headers: isolation },
  preview: { headers: isolation },
  plugins: [react(), copyModel],
  logLevel: 'warn',
  define: {
    'import.meta.env.VITE_RUMINATE_MODEL': JSON.stringify(bundled ? `./models/${bundled}` : ''),
    'import.meta.env.VITE_RUMINATE_EVAL': JSON.stringify(evalSet ? `./models/${evalSet}` : ''),
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
});
