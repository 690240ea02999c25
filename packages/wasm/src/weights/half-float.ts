// f16 and bf16 → f32 decoding for repacking at load (IEEE 754 binary16; bfloat16 is the top
// half of an f32), bit-exact with ggml's GGML_FP16_TO_FP32 / GGML_BF16_TO_FP32.

/** The value of the f16 with bit pattern `h` (subnormals, ±inf and NaN included). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const word = new Uint32Array(1);
const float = new Float32Array(word.buffer);

/** The value of the bf16 with bit pattern `h`. */
export function bf16ToF32(h: number): number {
  word[0] = (h & 0xffff) << 16;
  return float[0] as number;
}
