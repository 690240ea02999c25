// @ruminate/errors: RuminateError and its codes (src/errors.ts), the leaf every layer imports.
export { isRuminateError, RuminateError, type RuminateErrorCode } from './errors.ts';
