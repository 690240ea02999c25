export { type RmsNormArgs, type RmsNormMode, RmsNormOp, rmsNormTuningSpace } from './rms-norm.ts';
