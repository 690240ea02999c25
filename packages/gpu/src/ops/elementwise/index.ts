export { type AddArgs, AddOp, type AddOptions, addTuningSpace } from './add.ts';
export { type BufferArg, type EncodeTarget, grid } from './dispatch.ts';
export { type SiluMulArgs, SiluMulOp, siluMulTuningSpace } from './silu-mul.ts';
export {
  chooseConfig,
  defaultIndex,
  type TuningPoint,
  type TuningSpace,
  tuningSpace,
} from './tuning-space.ts';
export { UniformCache } from './uniform-cache.ts';
