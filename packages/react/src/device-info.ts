// What the page can run a model on, read once without measuring anything (cheap; for the UI):
// the WebGPU adapter, the WebAssembly CPU backend's features, and which backend `auto` would pick.
import { isCpuAdapter } from '@ruminate/gpu';
import { detectWasmFeatures, ISOLATION_ADVICE } from '@ruminate/wasm';

/** The CPU (WebAssembly) backend's prerequisites in this page. */
export interface WasmInfo {
  /** Whether the CPU backend can run here (WebAssembly with SIMD128). */
  available: boolean;
  /** Fixed-width 128-bit SIMD, which every CPU kernel needs. */
  simd128: boolean;
  /** Relaxed SIMD's integer dot product (faster quantized matmuls where present). */
  relaxedSimd: boolean;
  /** WebAssembly threads: the atomics validate and a shared memory can be made. */
  threads: boolean;
  /** Whether the page is cross-origin isolated (COOP/COEP), which shared memory needs in a browser. */
  crossOriginIsolated: boolean;
  /** `navigator.hardwareConcurrency` (1 when unknown). */
  hardwareConcurrency: number;
  /** Threads the backend would run on by default (every core when isolated, else 1). */
  defaultThreads: number;
  /** Why it would run on one thread (e.g. the two headers the page lacks), or null. */
  singleThreadReason: string | null;
  /** Why the CPU backend cannot run, in words, or null when it can. */
  problem: string | null;
}

/** The adapter as the browser describes it (or why there is none), and the CPU backend. */
export interface DeviceInfo {
  /** Whether `navigator.gpu` exists and gave an adapter. */
  webgpu: boolean;
  /** Vendor, architecture and description (empty strings when the browser hides them). */
  vendor: string;
  architecture: string;
  description: string;
  /** Adapter features. */
  features: string[];
  /** Why WebGPU is not usable, in words, when it is not (the CPU backend may still run the model). */
  problem: string | null;
  /** True when the WebGPU adapter computes on the CPU (SwiftShader, llvmpipe, WARP). */
  cpuAdapter: boolean;
  /** The WebAssembly CPU backend. */
  wasm: WasmInfo;
  /** What `backend: 'auto'` picks here: wasm without WebGPU or on a CPU adapter; null when neither can run. */
  autoBackend: 'webgpu' | 'wasm' | null;
}

function readWasmInfo(): WasmInfo {
  const nav = typeof navigator === 'undefined' ? undefined : navigator;
  const cores = Math.max(1, nav?.hardwareConcurrency ?? 1);
  if (typeof WebAssembly !== 'object') {
    return {
      available: false,
      simd128: false,
      relaxedSimd: false,
      threads: false,
      crossOriginIsolated: false,
      hardwareConcurrency: cores,
      defaultThreads: 1,
      singleThreadReason: null,
      problem: 'This browser has no WebAssembly.',
    };
  }
  const f = detectWasmFeatures();
  const threads = f.threads && f.sharedMemory;
  const defaultThreads = threads && f.crossOriginIsolated ? cores : 1;
  let singleThreadReason: string | null = null;
  if (defaultThreads === 1) {
    if (!f.crossOriginIsolated || !f.sharedMemory) singleThreadReason = ISOLATION_ADVICE;
    else if (!f.threads) singleThreadReason = "This browser's WebAssembly has no threads.";
    else singleThreadReason = 'One core is available.';
  }
  return {
    available: f.simd128,
    simd128: f.simd128,
    relaxedSimd: f.relaxedSimd,
    threads,
    crossOriginIsolated: f.crossOriginIsolated,
    hardwareConcurrency: cores,
    defaultThreads,
    singleThreadReason,
    problem: f.simd128
      ? null
      : "This browser's WebAssembly lacks SIMD128 (fixed-width 128-bit SIMD), which the CPU backend needs.",
  };
}

/**
 * Reads the adapter's identity and the CPU backend's features; never throws (a missing WebGPU is
 * reported in `problem`, and then `autoBackend` is the CPU backend where it can run).
 */
export async function readDeviceInfo(): Promise<DeviceInfo> {
  const wasm = readWasmInfo();
  const none = (problem: string): DeviceInfo => ({
    webgpu: false,
    vendor: '',
    architecture: '',
    description: '',
    features: [],
    problem,
    cpuAdapter: false,
    wasm,
    autoBackend: wasm.available ? 'wasm' : null,
  });
  const onCpu = wasm.available ? ' Ruminate runs the model on the CPU with WebAssembly instead.' : '';
  if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu) {
    return none(`This browser has no WebGPU.${onCpu}`);
  }
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) {
      return none(`WebGPU is present but gave no adapter (the GPU may be blocklisted or busy).${onCpu}`);
    }
    const info = adapter.info;
    const cpuAdapter = isCpuAdapter({
      vendor: info?.vendor,
      architecture: info?.architecture,
      description: info?.description,
      device: info?.device,
      isFallbackAdapter:
        info?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter,
    });
    return {
      webgpu: true,
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      description: info?.description ?? '',
      features: [...adapter.features].sort(),
      problem: null,
      cpuAdapter,
      wasm,
      autoBackend: cpuAdapter && wasm.available ? 'wasm' : 'webgpu',
    };
  } catch (e) {
    return none(`WebGPU failed to start: ${e instanceof Error ? e.message : String(e)}.${onCpu}`);
  }
}
