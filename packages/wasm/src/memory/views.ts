import type { Region } from './plan.ts';

// A typed array over a WebAssembly memory's buffer goes stale (detached, or too short for a shared
// buffer) when the memory grows; arena memories never grow (initial = maximum), so views made once stay valid.

/** Float32Array of `length` floats at byte `offset` (a multiple of 4) of `memory`. */
export function f32At(memory: WebAssembly.Memory, offset: number, length: number): Float32Array {
  return new Float32Array(memory.buffer, offset, length);
}

/** Int32Array of `length` ints at byte `offset` (a multiple of 4) of `memory`. */
export function i32At(memory: WebAssembly.Memory, offset: number, length: number): Int32Array {
  return new Int32Array(memory.buffer, offset, length);
}

/** Uint8Array of `length` bytes at byte `offset` of `memory`. */
export function u8At(memory: WebAssembly.Memory, offset: number, length: number): Uint8Array {
  return new Uint8Array(memory.buffer, offset, length);
}

/** Float32Array over a whole region (its bytes rounded down to floats). */
export function f32Of(memory: WebAssembly.Memory, region: Region): Float32Array {
  return f32At(memory, region.offset, region.bytes >>> 2);
}

/** Int32Array over a whole region (its bytes rounded down to ints). */
export function i32Of(memory: WebAssembly.Memory, region: Region): Int32Array {
  return i32At(memory, region.offset, region.bytes >>> 2);
}

/** Uint8Array over a whole region. */
export function u8Of(memory: WebAssembly.Memory, region: Region): Uint8Array {
  return u8At(memory, region.offset, region.bytes);
}
