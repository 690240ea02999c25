import type { MemoryPlan, Region } from '../memory/plan.ts';

// Layout of the pool's control region, in 32-bit words from its start. The words every thread
// hammers (run generation, done count, completion count, barrier count, barrier generation) each
// get their own 64-byte line; the rest share one line; the program follows.

/** Run generation: the engine bumps it to start a run; workers Atomics.wait on it. */
export const GEN = 0;
/** Workers that finished the current run. */
export const DONE = 16;
/** Runs completed: the last worker to finish bumps it; the engine waits on it. */
export const COMPLETE = 32;
/** Threads arrived at the current barrier. */
export const BAR_COUNT = 48;
/** Barrier generation: bumped by the last thread to arrive; the others wait on it. */
export const BAR_GEN = 64;
/** Set to 1 by the engine to ask for a stop at the next op boundary. */
export const ABORT = 80;
/** Outcome of the run: STATUS_OK, STATUS_ABORTED or STATUS_FAULT. */
export const STATUS = 81;
/** 1 once the last thread at a barrier decided that the run stops there. */
export const STOP = 82;
/** Ops completed when the run stopped early. */
export const STOP_OP = 83;
/** Index of the op that faulted. */
export const FAULT_OP = 84;
/** Thread that faulted. */
export const FAULT_THREAD = 85;
/** Ops in the program of the current run. */
export const OP_COUNT = 86;
/** Set to 1 when the pool shuts down; workers return from their loop. */
export const SHUTDOWN = 87;
/** Words before the program. */
export const HEADER_WORDS = 96;
/** Words per encoded op: [fn, argc, arg0 … arg13]. */
export const OP_WORDS = 16;
/** Most i32 arguments of one op (before threadIndex and threadCount). */
export const MAX_ARGS = OP_WORDS - 2;

/** Run went through every op. */
export const STATUS_OK = 0;
/** Run stopped at an op boundary because the engine asked. */
export const STATUS_ABORTED = 1;
/** A kernel threw (a trap) in some thread. */
export const STATUS_FAULT = 2;

/** Name under which reserveControl plans the control region. */
export const CONTROL_REGION = 'pool-control';

/** Bytes of a control region that holds programs of up to `maxOps` ops. */
export function controlBytes(maxOps: number): number {
  return (HEADER_WORDS + maxOps * OP_WORDS) * 4;
}

/** Ops a control region of `bytes` bytes can hold. */
export function controlCapacity(bytes: number): number {
  return Math.max(0, Math.floor((bytes / 4 - HEADER_WORDS) / OP_WORDS));
}

/** Plans the pool's control region (64-byte aligned) for programs of up to `maxOps` ops. */
export function reserveControl(plan: MemoryPlan, maxOps: number, name: string = CONTROL_REGION): Region {
  return plan.add(name, controlBytes(maxOps), 64);
}
