// The worker entry of the transformers.js engine: the page's model runs here, off the main
// thread. onnxruntime-web's wasm files are served by the site under ort/ (vite.config.ts copies
// them), a sibling of this script's assets/ folder.
import { serveTransformersEngine } from '@ruminate/transformers/worker';

const ort = (file: string) => new URL(`../ort/${file}`, self.location.href).href;
serveTransformersEngine({
  wasmPaths: {
    mjs: ort('ort-wasm-simd-threaded.asyncify.mjs'),
    wasm: ort('ort-wasm-simd-threaded.asyncify.wasm'),
  },
});
