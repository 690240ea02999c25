// Layout of quantized activations (what quantize-activations writes and the integer matmuls
// read): each row of k values is ⌈k/32⌉ records of 48 bytes, then the row's values again as
// i16 (64 bytes per record; only the plain-SIMD dots read them, with one v128.load64_splat per
// 4 values, and keeping them apart keeps the relaxed path's footprint at 48 bytes per 32
// values). Rows are back to back, actRowBytes(k) apart. A record:
//   0…31  int8 q (values past k are 0)
//   32    f32 d: f16-rounded max|x| / 127 (llama.cpp's block_q8_0 scale)
//   36    f32 d·Σq over the 32 values (the offset term of formats with a per-group offset)
//   40    f32 d·Σq over values 0…15, 44: over values 16…31 (formats with groups of 16)

/** Bytes of one activation record (32 values). */
export const ACT_RECORD_BYTES = 48;
/** Offset of the f32 scale d in a record. */
export const ACT_D = 32;
/** Offset of d·Σq (32 values). */
export const ACT_SUM = 36;
/** Offset of d·Σq over the first 16 values (the second half follows at +4). */
export const ACT_SUM16 = 40;

/** Bytes of the i16 copy of one record's values. */
export const ACT_I16_BYTES = 64;

/** Offset in a row of the i16 copy of its values (after its ⌈k/32⌉ records). */
export function actI16Offset(k: number): number {
  return Math.ceil(k / 32) * ACT_RECORD_BYTES;
}

/** Bytes of one quantized activation row of `k` values. */
export function actRowBytes(k: number): number {
  return Math.ceil(k / 32) * (ACT_RECORD_BYTES + ACT_I16_BYTES);
}
