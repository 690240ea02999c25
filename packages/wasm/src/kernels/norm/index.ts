// Normalisation kernels.
export { emitRmsNorm, type RmsNormSpec } from './rms-norm.ts';
