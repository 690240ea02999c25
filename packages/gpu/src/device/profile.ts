import { measureCopyBandwidth } from './measure/bandwidth.ts';
import { measureDispatchOverhead, measureReadbackLatency } from './measure/latency.ts';
import { measureMatmulRate } from './measure/matmul-rate.ts';
import { nodeGpuImplementation } from './node-gpu.ts';
import { type AcquiredDevice, type RequestDeviceOptions, requestDevice } from './request-device.ts';

/** The adapter's identity as the implementation reports it. */
export interface AdapterIdentity {
  /** GPU vendor, e.g. `nvidia`, `google` (SwiftShader). */
  vendor: string;
  /** Architecture, e.g. `ampere`, `swiftshader`. */
  architecture: string;
  /** Driver/device description (may be empty in browsers). */
  description: string;
  /** Device name (may be empty). */
  device: string;
}

/** Where the profile was measured. */
export type ProfileContext = 'page' | 'worker' | 'node';

/** What a device is and what it measurably does. */
export interface DeviceProfile {
  /** Adapter identity. */
  adapter: AdapterIdentity;
  /** Browser user agent or Dawn-for-Node version: part of the tuning-cache key. */
  implementation: string;
  /** Page, Web Worker or Node. */
  context: ProfileContext;
  /** Enabled features, sorted. */
  features: string[];
  /** Effective device limits. */
  limits: Record<string, number>;
  /** Copy bandwidth, GB/s (bytes read + written by a ≥ 64 MiB copyBufferToBuffer, median of ≥ 5). */
  bandwidthGBps: number;
  /** f32 matmul rate, GFLOP/s (plain 16×16-tiled kernel at 512³, median of 3). */
  matmulGflops: number;
  /** µs per empty dispatch, encode + submit + completion, median over 100. */
  dispatchUs: number;
  /** ms from submit to a mapped 4-byte result, median over 20. */
  readbackMs: number;
  /** When it was measured (ISO 8601). */
  measuredAt: string;
}

/** Sizes of the probes; the defaults are what the DeviceProfile promises. */
export interface ProfileOptions extends RequestDeviceOptions {
  /** Bytes per bandwidth copy (default 64 MiB). */
  copyBytes?: number;
  /** Matmul size n for n³ (default 512). */
  matmulN?: number;
  /** Empty dispatches timed (default 100). */
  dispatchRuns?: number;
}

/** Page, worker or Node: decides how the implementation is named. */
export function profileContext(): ProfileContext {
  const g = globalThis as {
    document?: unknown;
    WorkerGlobalScope?: unknown;
    process?: { versions?: { node?: string } };
  };
  if (g.document !== undefined) return 'page';
  if (g.WorkerGlobalScope !== undefined) return 'worker';
  if (g.process?.versions?.node) return 'node';
  return 'page';
}

function implementationName(context: ProfileContext): string {
  if (context === 'node') return nodeGpuImplementation();
  return (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? 'unknown browser';
}

/**
 * Measures the device: adapter facts plus copy bandwidth, f32 matmul rate, dispatch
 * overhead and readback latency. Acquires a device unless one is given (and then leaves
 * it open for the caller).
 */
export async function measureDeviceProfile(
  acquired?: AcquiredDevice,
  options: ProfileOptions = {},
): Promise<DeviceProfile> {
  const dev = acquired ?? (await requestDevice(options));
  const { device, info } = dev;
  const context = profileContext();
  const bandwidthGBps = await measureCopyBandwidth(
    device,
    options.copyBytes ? { bytes: options.copyBytes } : {},
  );
  const matmul = await measureMatmulRate(device, options.matmulN ?? 512);
  if (!(matmul.maxError < 1e-2)) {
    throw new Error(`the profile's matmul probe computed wrong results (max error ${matmul.maxError})`);
  }
  const dispatchUs = await measureDispatchOverhead(device, options.dispatchRuns ?? 100);
  const readbackMs = await measureReadbackLatency(device);
  return {
    adapter: {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      description: info.description ?? '',
      device: info.device ?? '',
    },
    implementation: implementationName(context),
    context,
    features: dev.features,
    limits: dev.limits,
    bandwidthGBps,
    matmulGflops: matmul.gflops,
    dispatchUs,
    readbackMs,
    measuredAt: new Date().toISOString(),
  };
}
