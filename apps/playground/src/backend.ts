// What a loaded model runs on, from the engine's ModelInfo, in words.

/** The backend and threads of the loaded model (ModelInfo's `backend` and `threads`). */
export interface LoadedOn {
  backend: 'webgpu' | 'wasm' | undefined;
  threads: { count: number; reason: string } | undefined;
}

/** Display names of the backends. */
export const BACKEND_NAMES = { webgpu: 'WebGPU', wasm: 'WebAssembly' } as const;

/** "WebAssembly, 2 threads" / "WebGPU", for the status line and the device panel. */
export function describeBackend(on: LoadedOn): string {
  if (!on.backend) return 'unknown backend';
  const name = BACKEND_NAMES[on.backend];
  if (on.backend !== 'wasm' || !on.threads) return name;
  return `${name}, ${on.threads.count} thread${on.threads.count === 1 ? '' : 's'}`;
}
