import { RuminateError } from '@ruminate/errors';

/** What this JavaScript engine's WebAssembly can do, probed with WebAssembly.validate on tiny modules. */
export interface WasmFeatures {
  /** Fixed-width 128-bit SIMD (v128): every kernel needs it. */
  simd128: boolean;
  /** Relaxed SIMD: i32x4.relaxed_dot_i8x16_i7x16_add_s validates and computes right (Chrome 114+, Firefox 146+; not Node 20, whose flagged version drops the accumulator). */
  relaxedSimd: boolean;
  /** Relaxed SIMD instructions validate (true in Node 20 with the flag, even though the dot-add there computes wrong). */
  relaxedSimdValidates: boolean;
  /** Threads: a shared memory import and atomic instructions validate. */
  threads: boolean;
  /** A shared WebAssembly.Memory can be made here (SharedArrayBuffer exists). */
  sharedMemory: boolean;
  /** The page is cross-origin isolated (always true outside browsers, where there is nothing to isolate). */
  crossOriginIsolated: boolean;
}

// Module preamble: "\0asm", version 1.
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
// v128.const of sixteen zero bytes.
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];

/** (module (func (result v128) v128.const i64x2 0 0)) — SIMD128. */
// biome-ignore format: bytes grouped by section
const SIMD128_PROBE = new Uint8Array([
  ...HEADER,
  // type section: 1 type, func [] -> [v128]
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  // function section: 1 function of type 0
  0x03, 0x02, 0x01, 0x00,
  // code section: 1 body of 20 bytes: no locals, v128.const 0, end
  0x0a, 0x16, 0x01, 0x14, 0x00, ...V128_ZERO, 0x0b,
]);

/** (module (func (result v128) v128.const 0 v128.const 0 v128.const 0 i32x4.relaxed_dot_i8x16_i7x16_add_s)) — relaxed SIMD. */
// biome-ignore format: bytes grouped by section
const RELAXED_SIMD_PROBE = new Uint8Array([
  ...HEADER,
  // type section: 1 type, func [] -> [v128]
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  // function section: 1 function of type 0
  0x03, 0x02, 0x01, 0x00,
  // code section: 1 body of 59 bytes: no locals, three v128.const 0,
  0x0a, 0x3d, 0x01, 0x3b, 0x00, ...V128_ZERO, ...V128_ZERO, ...V128_ZERO,
  // i32x4.relaxed_dot_i8x16_i7x16_add_s: prefix 0xfd, opcode 0x113 as LEB128 (0x93 0x02); end
  0xfd, 0x93, 0x02, 0x0b,
]);

/** (module (import "env" "memory" (memory 1 1 shared)) (func (result i32) i32.const 0 i32.atomic.load)) — threads. */
// biome-ignore format: bytes grouped by section
const THREADS_PROBE = new Uint8Array([
  ...HEADER,
  // type section: 1 type, func [] -> [i32]
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
  // import section: 1 import "env" "memory", kind memory, limits flags 0x03 (shared, has max), min 1, max 1
  0x02, 0x10, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x03, 0x01, 0x01,
  // function section: 1 function of type 0
  0x03, 0x02, 0x01, 0x00,
  // code section: 1 body of 8 bytes: no locals, i32.const 0, i32.atomic.load align=2 offset=0 (0xfe 0x10), end
  0x0a, 0x0a, 0x01, 0x08, 0x00, 0x41, 0x00, 0xfe, 0x10, 0x02, 0x00, 0x0b,
]);

/**
 * (module (func (export "f") (result i32) i32x4.extract_lane 0 of
 *   i32x4.relaxed_dot_i8x16_i7x16_add_s(i8x16 1…, i8x16 2…, i32x4 100…))) — must return 4·(1·2) + 100 = 108.
 * Node 20's V8 validates relaxed SIMD behind its flag but returns 16 here (8 products, accumulator
 * dropped), so relaxed SIMD counts only where this computes right.
 */
// biome-ignore format: bytes grouped by section
const RELAXED_DOT_ADD_CHECK = new Uint8Array([
  ...HEADER,
  // type section: 1 type, func [] -> [i32]
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
  // function section: 1 function of type 0
  0x03, 0x02, 0x01, 0x00,
  // export section: "f" = function 0
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,
  // code section: 1 body of 62 bytes: no locals, v128.const of sixteen 1s, of sixteen 2s, of four i32 100s,
  0x0a, 0x40, 0x01, 0x3e, 0x00,
  0xfd, 0x0c, ...new Array<number>(16).fill(1),
  0xfd, 0x0c, ...new Array<number>(16).fill(2),
  0xfd, 0x0c, 100, 0, 0, 0, 100, 0, 0, 0, 100, 0, 0, 0, 100, 0, 0, 0,
  // i32x4.relaxed_dot_i8x16_i7x16_add_s (0xfd 0x93 0x02), i32x4.extract_lane 0 (0xfd 0x1b 0x00), end
  0xfd, 0x93, 0x02, 0xfd, 0x1b, 0x00, 0x0b,
]);

/** True when relaxed SIMD validates and i32x4.relaxed_dot_i8x16_i7x16_add_s computes what the proposal says. */
function relaxedDotAddWorks(): boolean {
  if (!validates(RELAXED_SIMD_PROBE)) return false;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(RELAXED_DOT_ADD_CHECK));
    return (instance.exports.f as () => number)() === 108;
  } catch {
    return false;
  }
}

/** The probe modules, for tests. */
export const FEATURE_PROBES = {
  simd128: SIMD128_PROBE,
  relaxedSimd: RELAXED_SIMD_PROBE,
  threads: THREADS_PROBE,
  relaxedDotAdd: RELAXED_DOT_ADD_CHECK,
} as const;

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

function canMakeSharedMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof WebAssembly !== 'object') return false;
  try {
    return (
      new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer
    );
  } catch {
    return false;
  }
}

/** Probes this engine's WebAssembly features (synchronous, a few microseconds). */
export function detectWasmFeatures(): WasmFeatures {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return {
    simd128: validates(SIMD128_PROBE),
    relaxedSimd: relaxedDotAddWorks(),
    relaxedSimdValidates: validates(RELAXED_SIMD_PROBE),
    threads: validates(THREADS_PROBE),
    sharedMemory: canMakeSharedMemory(),
    crossOriginIsolated: isolated ?? !isBrowserLike(),
  };
}

function isBrowserLike(): boolean {
  return (
    typeof (globalThis as { document?: unknown }).document === 'object' ||
    typeof (globalThis as { importScripts?: unknown }).importScripts === 'function'
  );
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * In Node 20, turns relaxed SIMD on with the V8 flag `--experimental-wasm-relaxed-simd`
 * (process-wide: the pool's workers, started afterwards or already running, get it too) and
 * re-probes. A no-op outside Node; newer Nodes that ship relaxed SIMD need no flag.
 */
export async function enableRelaxedSimdInNode(): Promise<WasmFeatures> {
  if (isNode() && !validates(RELAXED_SIMD_PROBE)) {
    const v8: typeof import('node:v8') = await import(/* @vite-ignore */ 'node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
  return detectWasmFeatures();
}

/** Throws RuminateError('wasm-unsupported') naming what is missing when the engine lacks WebAssembly or SIMD128. */
export function requireWasmSimd(features: WasmFeatures = detectWasmFeatures()): void {
  if (typeof WebAssembly !== 'object') {
    throw new RuminateError(
      'wasm-unsupported',
      'this browser has no WebAssembly: the CPU backend cannot run here',
    );
  }
  if (!features.simd128) {
    throw new RuminateError(
      'wasm-unsupported',
      "this browser's WebAssembly lacks SIMD128 (fixed-width 128-bit SIMD), which every CPU kernel needs: " +
        'update the browser (Chrome 91+, Firefox 89+, Safari 16.4+) or use the WebGPU backend',
    );
  }
}
