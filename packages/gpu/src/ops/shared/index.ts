export { type BufferArg, type EncodeTarget, grid } from './dispatch.ts';
export {
  chooseConfig,
  defaultIndex,
  type TuningPoint,
  type TuningSpace,
  tuningSpace,
} from './tuning-space.ts';
export { UniformCache } from './uniform-cache.ts';
