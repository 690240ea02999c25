// The peers benchmark page: the same GGUF, prompt ids and token count through Ruminate (its
// WebAssembly backend, then its WebGPU backend, each forced with the `backend` load option, each
// in its own worker) and wllama (wasm with all threads, with one thread, then its WebGPU build),
// and transformers.js (the same weights converted to ONNX; wasm, then WebGPU), one engine at a
// time so they never compete for the CPU. Called by `ruminate bench peers`
// through `window.benchPeers`; the server sends COOP/COEP, so the page is cross-origin isolated
// and both Ruminate's pool and wllama get threads.
import type { EngineFailure, EngineRun, PeersPageRequest, PeersPageResult } from '../peers/types.ts';
import { runRuminate } from './peers-ruminate.ts';
import { runTransformers } from './peers-transformers.ts';
import { runWllama } from './peers-wllama.ts';

declare global {
  interface Window {
    /** Runs every engine on one model (called by `ruminate bench peers`). */
    benchPeers?: (req: PeersPageRequest) => Promise<PeersPageResult>;
  }
}

const statusEl = document.getElementById('status') as HTMLElement;
const status = (s: string) => {
  statusEl.textContent = s;
  console.info(`[peers] ${s}`);
};
const failed = (engine: string, e: unknown): EngineFailure => ({
  engine,
  error: e instanceof Error ? e.message : String(e),
});

async function adapterName(): Promise<string> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return 'none';
  const i = adapter.info;
  return [i.vendor, i.architecture, i.description].filter(Boolean).join(' / ');
}

window.benchPeers = async (req) => {
  const page = {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated,
    adapter: await adapterName(),
  };
  let ruminateWasm: PeersPageResult['ruminateWasm'] = { engine: 'ruminate (wasm)', error: 'skipped' };
  let batchWasm: PeersPageResult['batchWasm'] = { error: 'skipped' };
  if (!req.skip.includes('ruminate-wasm')) {
    try {
      ({ run: ruminateWasm, batch: batchWasm } = await runRuminate(req, 'wasm', status));
    } catch (e) {
      ruminateWasm = failed('ruminate (wasm)', e);
      batchWasm = { error: 'ruminate wasm failed' };
    }
  }
  let ruminate: PeersPageResult['ruminate'] = { engine: 'ruminate (webgpu)', error: 'skipped' };
  let batch: PeersPageResult['batch'] = { error: 'skipped' };
  if (!req.skip.includes('ruminate')) {
    try {
      ({ run: ruminate, batch } = await runRuminate(req, 'webgpu', status));
    } catch (e) {
      ruminate = failed('ruminate (webgpu)', e);
      batch = { error: 'ruminate webgpu failed' };
    }
  }
  // wllama at its best: all cores' threads (its default is half), one thread (busy-waiting
  // threads lose on an oversubscribed machine), and its WebGPU backend.
  const cores = navigator.hardwareConcurrency || 1;
  const configs = [
    { name: 'wllama-cpu', gpu: false, threads: cores },
    ...(cores > 1 ? [{ name: 'wllama-cpu1', gpu: false, threads: 1 }] : []),
    { name: 'wllama-webgpu', gpu: true, threads: cores },
  ];
  const wllama: (EngineRun | EngineFailure)[] = [];
  for (const c of configs) {
    if (req.skip.includes(c.name)) continue;
    try {
      wllama.push(await runWllama(req, c, status));
    } catch (e) {
      wllama.push(failed(c.name, e));
    }
  }
  // transformers.js on the same weights (the converter's ONNX), its wasm device then its WebGPU one.
  const transformers: (EngineRun | EngineFailure)[] = [];
  for (const device of ['wasm', 'webgpu'] as const) {
    if (req.skip.includes(`transformers-${device}`)) continue;
    try {
      transformers.push(await runTransformers(req, device, status));
    } catch (e) {
      transformers.push(failed(`transformers.js (${device})`, e));
    }
  }
  status('done');
  return { ruminate, batch, ruminateWasm, batchWasm, wllama, transformers, page };
};
