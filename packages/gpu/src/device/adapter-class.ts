// Whether an adapter computes on the CPU. Software implementations (SwiftShader in Chromium
// and Dawn, Mesa's llvmpipe / lavapipe, Windows' WARP) run a workgroup's invocations a few to a
// SIMD register on CPU threads, so the kernel shapes that are fast there (whole rows per
// invocation, no barriers) are the opposite of a GPU's: kernels ship a default for each.

/** The adapter facts the class is read from (GPUAdapterInfo's, all optional in practice). */
export interface AdapterFacts {
  /** GPU vendor, e.g. `google`. */
  vendor?: string;
  /** Architecture, e.g. `swiftshader`. */
  architecture?: string;
  /** Driver description, e.g. `SwiftShader driver 5.0.0`, `llvmpipe (LLVM 15.0.6, 256 bits)`. */
  description?: string;
  /** Device name. */
  device?: string;
  /** WebGPU's own flag for a fallback (software) adapter, where the browser reports it. */
  isFallbackAdapter?: boolean;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

/** True when the adapter is a CPU implementation of WebGPU. */
export function isCpuAdapter(info: AdapterFacts): boolean {
  if (info.isFallbackAdapter) return true;
  return [info.vendor, info.architecture, info.description, info.device].some((s) => s && SOFTWARE.test(s));
}
