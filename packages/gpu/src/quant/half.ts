// IEEE 754 binary16 (f16) and bfloat16 (bf16) conversions, bit-exact with ggml:
// f32 → f16 rounds to nearest, ties to even, with subnormals, ±inf and NaN (ggml's
// fp32_to_fp16 in ggml/src/ggml-impl.h); f32 → bf16 rounds to nearest even and keeps NaNs
// quiet (ggml_compute_fp32_to_bf16, same file).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The f32 bit pattern of `x` (after rounding `x` to f32). */
export function f32Bits(x: number): number {
  f32[0] = x;
  return u32[0] as number;
}

/** The f32 whose bit pattern is `bits`. */
export function f32FromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0] as number;
}

/** Rounds `x` to the nearest f16 (ties to even) and returns its 16-bit pattern. */
export function f32ToF16Bits(x: number): number {
  const bits = f32Bits(x);
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // inf / NaN (quiet)
  const e = exp - 127 + 15; // rebiased exponent
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    // Subnormal f16 (or zero): shift the mantissa with its implicit bit, round to nearest even.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m; // a carry into bit 10 yields the smallest normal, which is correct
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // carry may round up to inf: correct
  return sign | h;
}

/** The value of the f16 with bit pattern `h`. */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Rounds `x` to the nearest bf16 (ties to even) and returns its 16-bit pattern. */
export function f32ToBf16Bits(x: number): number {
  const bits = f32Bits(x);
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 64) & 0xffff; // quiet NaN
  return ((bits + (0x7fff + ((bits >>> 16) & 1))) >>> 16) & 0xffff;
}

/** The value of the bf16 with bit pattern `h`. */
export function bf16BitsToF32(h: number): number {
  return f32FromBits((h & 0xffff) << 16);
}

/** `x` rounded to the nearest f16 value (as a JS number). */
export function roundToF16(x: number): number {
  return f16BitsToF32(f32ToF16Bits(x));
}
