// Building blocks shared by the kernels: exp, lane reductions, the kernel export shape.
export { type ExpSpec, emitExp, emitExpF32, emitExpF32x4 } from './exp.ts';
export type { KernelExport } from './kernel-export.ts';
export { kernelParams, paramsByName } from './kernel-params.ts';
export { emitHorizontal, emitHorizontalSum, laneBytes } from './lanes.ts';
