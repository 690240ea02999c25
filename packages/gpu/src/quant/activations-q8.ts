// CPU reference of the activation rounding some matmuls compute with (kernels-wgsl/quant/
// q8-activations.wgsl; llama.cpp's quantize_row_q8_0 on x86): per block of 32, id = 127 / amax,
// q = round-to-nearest-even(x · id) in f32, d = f16(amax / 127); the value used is q · d.
import { roundToF16 } from './half.ts';

const f = Math.fround;

/** Round-to-nearest, ties to even (WGSL `round`, x86 `_MM_ROUND_NEAREST`). */
function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `x` (length a multiple of 32) with each block of 32 rounded to 8 bits and scaled back: q · d. */
export function roundActivationsQ8(x: Float32Array): Float32Array {
  if (x.length % 32 !== 0)
    throw new RangeError(`roundActivationsQ8 needs whole blocks of 32, got ${x.length} values`);
  const out = new Float32Array(x.length);
  for (let b = 0; b < x.length; b += 32) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b + j] as number));
    const id = amax > 0 ? f(127 / amax) : 0;
    const d = roundToF16(f(amax / 127));
    for (let j = 0; j < 32; j++) out[b + j] = roundEven(f((x[b + j] as number) * id)) * d;
  }
  return out;
}
