import { RuminateError } from '@ruminate/errors';
import { FAULT_INJECTION_FN, type Program } from './program.ts';

/** A kernel export as the runner calls it. */
export type Kernel = (...args: number[]) => void;

/**
 * Runs `program` on the caller's thread with (threadIndex 0, threadCount 1). At op boundaries,
 * once `yieldMs` have passed since the last yield, it yields one macrotask so that an abort
 * posted to this thread can land; it stops there when `signal` is aborted.
 */
export async function runInline(
  kernels: readonly Kernel[],
  names: readonly string[],
  program: Program,
  signal: AbortSignal | undefined,
  yieldMs: number,
): Promise<void> {
  const args: number[] = [];
  let lastYield = now();
  for (let i = 0; i < program.length; i++) {
    if (i > 0 && now() - lastYield >= yieldMs) {
      await nextMacrotask();
      lastYield = now();
    }
    if (i > 0 && signal?.aborted) throw abortedAt(i, program.length);
    const base = i * 16;
    const fn = program.words[base]!;
    const argc = program.words[base + 1]!;
    if (fn === FAULT_INJECTION_FN) {
      if (program.words[base + 2] === 0)
        throw new RuminateError('worker-failed', 'fault injection: thread 0 died');
      continue;
    }
    args.length = argc + 2;
    for (let a = 0; a < argc; a++) args[a] = program.words[base + 2 + a]!;
    args[argc] = 0;
    args[argc + 1] = 1;
    try {
      kernels[fn]!(...args);
    } catch (cause) {
      throw kernelFault(names[fn] ?? `#${fn}`, i, 0, cause instanceof Error ? cause.message : String(cause));
    }
  }
}

/** RuminateError('aborted') for a run stopped after `done` of `total` ops. */
export function abortedAt(done: number, total: number): RuminateError {
  return new RuminateError('aborted', `the run was aborted at an op boundary, after ${done} of ${total} ops`);
}

/** RuminateError('internal') for a kernel that trapped. */
export function kernelFault(name: string, op: number, thread: number, message: string): RuminateError {
  return new RuminateError('internal', `kernel '${name}' (op ${op}) failed on thread ${thread}: ${message}`);
}

function now(): number {
  return performance.now();
}

/** Resolves after one macrotask (setImmediate in Node, a MessageChannel round trip elsewhere). */
export function nextMacrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return new Promise((resolve) => setImmediate(resolve));
  }
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}
