import { ISOLATION_ADVICE } from './isolation-notice.ts';
import { isNode } from './spawn.ts';

/** How a pool runs: on how many compute threads, over which memory, and why. */
export interface ThreadingInfo {
  /** Compute threads (1: programs run inline on the caller's thread). */
  threads: number;
  /** Whether the memory is shared (a SharedArrayBuffer). */
  shared: boolean;
  /** Why, in one sentence (for the console and the DeviceProfile). */
  reason: string;
  /** True when a cross-origin-isolation header pair would give threads (say ISOLATION_ADVICE). */
  isolationMissing: boolean;
}

/** Cores this engine reports: os.availableParallelism() in Node, navigator.hardwareConcurrency elsewhere (at least 1). */
export async function hardwareThreads(): Promise<number> {
  if (isNode()) {
    const os = await import('node:os');
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, n ?? 1);
}

/**
 * Decides threads and memory sharing before the memory and kernels are made (a shared memory
 * needs kernels whose memory import is shared): single-threaded where SharedArrayBuffer is
 * missing, the page is not cross-origin isolated, or one thread is asked for or available.
 */
export async function planThreading(requested?: number): Promise<ThreadingInfo> {
  const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown; importScripts?: unknown };
  const browser = typeof g.document === 'object' || typeof g.importScripts === 'function';
  if (typeof SharedArrayBuffer === 'undefined') {
    return {
      threads: 1,
      shared: false,
      reason: `SharedArrayBuffer is missing. ${ISOLATION_ADVICE}`,
      isolationMissing: browser,
    };
  }
  if (browser && g.crossOriginIsolated !== true) {
    return { threads: 1, shared: false, reason: ISOLATION_ADVICE, isolationMissing: true };
  }
  const threads = requested ?? (await hardwareThreads());
  if (threads <= 1) {
    const why = requested === undefined ? 'one core is available' : 'one thread was asked for';
    return { threads: 1, shared: false, reason: `single-threaded: ${why}`, isolationMissing: false };
  }
  return { threads, shared: true, reason: `${threads} threads over shared memory`, isolationMissing: false };
}
