export { type AddArgs, AddOp, type AddOptions, addTuningSpace } from './add.ts';
export { type SiluMulArgs, SiluMulOp, siluMulTuningSpace } from './silu-mul.ts';
export { type SoftcapArgs, SoftcapOp, softcapTuningSpace } from './softcap.ts';
