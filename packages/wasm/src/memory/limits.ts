import { RuminateError } from '@ruminate/errors';

/** Bytes in one WebAssembly memory page. */
export const WASM_PAGE_BYTES = 65_536;
/** Most pages a 32-bit WebAssembly memory can hold (4 GiB). */
export const MAX_WASM32_PAGES = 65_536;
/** Most bytes a 32-bit WebAssembly memory can hold. */
export const MAX_WASM32_BYTES = WASM_PAGE_BYTES * MAX_WASM32_PAGES;

/** Pages needed to hold `bytes` (at least one). */
export function pagesFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / WASM_PAGE_BYTES));
}

/** Throws RuminateError('model-too-large') when `bytes` do not fit a 32-bit WebAssembly memory; usable by a header fit check before any download. */
export function assertFitsWasm32(bytes: number, what = 'the model'): void {
  if (bytes <= MAX_WASM32_BYTES) return;
  throw new RuminateError(
    'model-too-large',
    `${what} needs ${bytes} bytes (${gib(bytes)} GiB) of WebAssembly memory, but 32-bit WebAssembly memory ` +
      `holds at most ${MAX_WASM32_BYTES} bytes (${MAX_WASM32_PAGES} pages of 64 KiB, 4 GiB): ` +
      'pick a smaller model or quantisation, a shorter context, or the WebGPU backend.',
  );
}

function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(2);
}
