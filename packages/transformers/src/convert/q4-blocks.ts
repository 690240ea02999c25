// ggml's q4_0 blocks as the operands of onnxruntime's MatMulNBits (com.microsoft, bits 4,
// block_size 32; https://github.com/microsoft/onnxruntime/blob/main/docs/ContribOperators.md#com.microsoft.MatMulNBits):
// a q4_0 block is an f16 scale d and 16 bytes whose low nibbles are elements 0–15 and high
// nibbles elements 16–31 (ggml-common.h block_q4_0), value (q − 8)·d; MatMulNBits wants, per
// output row and block, 16 bytes with element 2i in the low nibble of byte i and 2i+1 in the high
// one, a float scale, and zero point 8 by default — so the values are exactly the GGUF's.
import { f16BitsToF32 } from '@ruminate/gpu';

/** Bytes of one q4_0 block (f16 scale + 16 bytes of nibbles). */
const BLOCK_BYTES = 18;

/** MatMulNBits operands of a q4_0 matrix. */
export interface NBitsWeights {
  /** uint8 [rows][blocks][16]. */
  packed: Uint8Array;
  /** float32 [rows · blocks]. */
  scales: Float32Array;
}

/**
 * Repacks `rows` q4_0 rows of `cols` elements (`raw`, ggml order); output row r is input row
 * `order(r)` (the converter's RoPE row reordering), identity by default.
 */
export function q4BlocksForNBits(
  raw: Uint8Array,
  rows: number,
  cols: number,
  order: (r: number) => number = (r) => r,
): NBitsWeights {
  const blocks = cols / 32;
  const packed = new Uint8Array(rows * blocks * 16);
  const scales = new Float32Array(rows * blocks);
  const q = new Uint8Array(32);
  for (let r = 0; r < rows; r++) {
    const from = order(r) * blocks * BLOCK_BYTES;
    for (let b = 0; b < blocks; b++) {
      const at = from + b * BLOCK_BYTES;
      scales[r * blocks + b] = f16BitsToF32((raw[at] as number) | ((raw[at + 1] as number) << 8));
      for (let i = 0; i < 16; i++) {
        const byte = raw[at + 2 + i] as number;
        q[i] = byte & 0x0f;
        q[i + 16] = byte >> 4;
      }
      const out = (r * blocks + b) * 16;
      for (let i = 0; i < 16; i++) packed[out + i] = (q[2 * i] as number) | ((q[2 * i + 1] as number) << 4);
    }
  }
  return { packed, scales };
}
