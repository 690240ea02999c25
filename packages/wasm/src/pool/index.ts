export { CONTROL_REGION, controlBytes, controlCapacity, MAX_ARGS, reserveControl } from './control.ts';
export { ISOLATION_ADVICE, ISOLATION_HEADERS, warnNotIsolatedOnce } from './isolation-notice.ts';
export { FAULT_INJECTION_FN, faultInjectionOp, type Op, Program } from './program.ts';
export { type RunOptions, ThreadPool, type ThreadPoolOptions } from './thread-pool.ts';
export { hardwareThreads, planThreading, type ThreadingInfo } from './threading.ts';
