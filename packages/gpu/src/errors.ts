// RuminateError lives in the leaf package @ruminate/errors so that every layer (the wasm
// kernels included) can throw it without depending on WebGPU; re-exported here for callers
// of @ruminate/gpu.
export { isRuminateError, RuminateError, type RuminateErrorCode } from '@ruminate/errors';
