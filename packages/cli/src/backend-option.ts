// The `--backend` and `--threads` options every command that loads a model takes.
import { RuminateError } from '@ruminate/gpu';
import type { BackendChoice } from '@ruminate/runtime';

/** parseArgs option specs of --backend and --threads. */
export const BACKEND_OPTIONS = {
  backend: { type: 'string' },
  threads: { type: 'string' },
} as const;

/** Usage lines of --backend and --threads. */
export const BACKEND_USAGE = [
  '  --backend B       where the model computes: auto (default: wasm where WebGPU is missing or its',
  '                    adapter computes on the CPU, like SwiftShader; webgpu elsewhere), webgpu, wasm',
  '  --threads N       compute threads of the wasm backend (default: every core)',
].join('\n');

/** RuminateEngine options from --backend and --threads (a typed error names a bad value). */
export function backendOptions(values: { backend?: string; threads?: string }): {
  backend?: BackendChoice;
  threads?: number;
} {
  const out: { backend?: BackendChoice; threads?: number } = {};
  if (values.backend !== undefined) {
    if (!['auto', 'webgpu', 'wasm'].includes(values.backend)) {
      throw new RuminateError(
        'invalid-argument',
        `--backend must be auto, webgpu or wasm, got "${values.backend}".`,
        { field: 'backend' },
      );
    }
    out.backend = values.backend as BackendChoice;
  }
  if (values.threads !== undefined) {
    const n = Number(values.threads);
    if (!Number.isInteger(n) || n < 1) {
      throw new RuminateError(
        'invalid-argument',
        `--threads must be a positive integer, got "${values.threads}".`,
        {
          field: 'threads',
        },
      );
    }
    out.threads = n;
  }
  return out;
}
