import { nodeGpuImplementation } from '../device/node-gpu.ts';
import { profileContext } from '../device/profile.ts';

/**
 * The device identity tuning winners are keyed by: vendor, architecture, description and
 * the implementation (browser user agent, or Dawn-for-Node version). A driver or browser
 * update changes the key, so stale winners are never applied.
 */
export function tuningIdentity(info: GPUAdapterInfo): string {
  const implementation =
    profileContext() === 'node'
      ? nodeGpuImplementation()
      : ((globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? 'unknown');
  return [info.vendor, info.architecture, info.description, implementation].join('|');
}
