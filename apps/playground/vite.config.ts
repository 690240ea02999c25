import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
// A relative import: Vite bundles it into the config (a package import would reach Node as .ts).
import { ortAssets } from '../../packages/transformers/src/build/ort-assets.ts';

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

// The bundled model in ONNX (models/<name>-onnx/, the converter's output) for the transformers.js
// engine, and the onnxruntime-web files transformers.js loads at run time (its default is a CDN).
const onnxDir = bundled ? join(modelsDir, bundled.replace(/-q\d.*\.gguf$|\.gguf$/, '-onnx')) : undefined;
const onnxModel =
  onnxDir && statSync(onnxDir, { throwIfNoEntry: false })?.isDirectory() ? onnxDir : undefined;
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.startsWith('.') ? [] : [join(dir, e.name)],
  );
const copyModel: Plugin = {
  name: 'ruminate-bundled-model',
  apply: 'build',
  generateBundle() {
    if (onnxModel) {
      for (const file of filesUnder(onnxModel)) {
        this.emitFile({
          type: 'asset',
          fileName: `models/${relative(modelsDir, file)}`,
          source: readFileSync(file),
        });
      }
    }
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
  plugins: [react(), copyModel, ...(onnxModel ? [ortAssets('ort')] : [])],
  logLevel: 'warn',
  define: {
    'import.meta.env.VITE_RUMINATE_MODEL': JSON.stringify(bundled ? `./models/${bundled}` : ''),
    'import.meta.env.VITE_RUMINATE_ONNX_MODEL': JSON.stringify(
      onnxModel ? `./models/${relative(modelsDir, onnxModel)}` : '',
    ),
    'import.meta.env.VITE_RUMINATE_EVAL': JSON.stringify(evalSet ? `./models/${evalSet}` : ''),
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
});
