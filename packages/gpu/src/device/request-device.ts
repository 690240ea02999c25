import { RuminateError } from '../errors.ts';
import { nodeNavigatorGpu } from './node-gpu.ts';

/** What a caller may ask of the device it gets. */
export interface RequestDeviceOptions {
  /** Adapter power preference, passed to `requestAdapter`. */
  powerPreference?: GPUPowerPreference;
  /** Limits the caller needs at least; a lower adapter limit is a `limit-too-low` error. */
  requiredLimits?: Record<string, number>;
  /** Lower some limits below the adapter's (e.g. to emulate a phone's 128 MiB bindings). */
  capLimits?: Partial<Record<'maxStorageBufferBindingSize' | 'maxBufferSize', number>>;
}

/** A device with the adapter facts that picked it. */
export interface AcquiredDevice {
  /** The logical device, with every optional feature the adapter offers that Ruminate uses. */
  device: GPUDevice;
  /** The adapter the device came from. */
  adapter: GPUAdapter;
  /** The adapter's identity, as reported by the implementation. */
  info: GPUAdapterInfo;
  /** Effective limits of `device` (after any caps). */
  limits: Record<string, number>;
  /** Features enabled on `device`. */
  features: string[];
}

/** Optional features Ruminate's kernels can use when the adapter has them. */
export const WANTED_FEATURES: readonly GPUFeatureName[] = [
  'shader-f16',
  'subgroups',
  'timestamp-query',
  'subgroup-size-control' as GPUFeatureName,
];

/** Limits Ruminate raises to the adapter's maximum (the defaults are too small for models). */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

async function navigatorGpu(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (isNode) return nodeNavigatorGpu();
  throw new RuminateError(
    'webgpu-unavailable',
    'WebGPU is not available here (navigator.gpu is missing). Use a browser with WebGPU enabled ' +
      '(Chrome/Edge 113+, Safari 26+, Firefox 141+), serve the page over https or localhost, and for ' +
      'Chromium on Linux start it with --enable-unsafe-webgpu.',
  );
}

/**
 * Acquire a WebGPU device on a page, inside a Web Worker, or in Node (Dawn for Node,
 * on SwiftShader when no GPU driver is chosen). Raises the storage limits to what the
 * adapter allows and enables the optional features the kernels use.
 */
export async function requestDevice(options: RequestDeviceOptions = {}): Promise<AcquiredDevice> {
  const gpu = await navigatorGpu();
  const adapter = await gpu.requestAdapter(
    options.powerPreference ? { powerPreference: options.powerPreference } : undefined,
  );
  if (!adapter) {
    throw new RuminateError(
      'adapter-unavailable',
      'WebGPU is present but no adapter was found. Update the GPU driver, or enable a software adapter ' +
        '(in Node: install Debian’s chromium package for SwiftShader).',
    );
  }
  const requiredLimits: Record<string, number> = {};
  const adapterLimits = adapter.limits as unknown as Record<string, number>;
  for (const name of RAISED_LIMITS) {
    const v = adapterLimits[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  for (const [name, need] of Object.entries(options.requiredLimits ?? {})) {
    const have = adapterLimits[name];
    if (have === undefined || have < need) {
      throw new RuminateError(
        'limit-too-low',
        `This GPU's ${name} is ${have ?? 'missing'}, but ${need} is required. Use a smaller model or ` +
          'a shorter context, or a device with a larger limit.',
      );
    }
  }
  for (const [name, cap] of Object.entries(options.capLimits ?? {})) {
    const v = requiredLimits[name];
    if (cap !== undefined && v !== undefined) requiredLimits[name] = Math.min(v, cap);
  }
  const features = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits });
  const limits: Record<string, number> = {};
  for (const key in device.limits) {
    const v = (device.limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') limits[key] = v;
  }
  // Dawn for Node reports every limit as an own property; browsers on the prototype.
  for (const name of RAISED_LIMITS) {
    const v = (device.limits as unknown as Record<string, number>)[name];
    if (typeof v === 'number') limits[name] = v;
  }
  return { device, adapter, info: adapter.info, limits, features: [...device.features].map(String).sort() };
}
