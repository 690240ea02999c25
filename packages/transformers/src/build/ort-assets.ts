// Build-time help for pages that run transformers.js offline (Node only): the onnxruntime-web
// files transformers.js loads at run time (by default from a CDN), found where transformers.js
// resolves its own onnxruntime-web, and a Vite plugin that copies them into a site.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The onnxruntime-web build transformers.js runs in browsers (WebGPU and wasm in one). */
export const ORT_WASM_FILES = [
  'ort-wasm-simd-threaded.asyncify.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm',
] as const;

/** Absolute paths of ORT_WASM_FILES in the onnxruntime-web that transformers.js imports. */
export function ortWasmFiles(): string[] {
  const transformers = createRequire(import.meta.url).resolve('@huggingface/transformers');
  const ortEntry = createRequire(transformers).resolve('onnxruntime-web');
  let dist = dirname(ortEntry);
  while (!dist.endsWith('dist')) dist = dirname(dist);
  return ORT_WASM_FILES.map((f) => join(dist, f));
}

/** The part of Vite's plugin context this plugin uses. */
interface EmitContext {
  emitFile(file: { type: 'asset'; fileName: string; source: Uint8Array }): string;
}

/** A Vite plugin emitting the files under `dir/` of the build; pass `wasmPaths` as `<site>/<dir>/<file>`. */
export function ortAssets(dir = 'ort'): {
  name: string;
  apply: 'build';
  generateBundle(this: EmitContext): void;
} {
  return {
    name: 'ruminate-ort-assets',
    apply: 'build',
    generateBundle() {
      for (const path of ortWasmFiles()) {
        this.emitFile({
          type: 'asset',
          fileName: `${dir}/${path.split(/[\\/]/).pop()}`,
          source: readFileSync(path),
        });
      }
    },
  };
}
