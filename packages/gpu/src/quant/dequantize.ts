// CPU reference dequantizers for the GGML block layouts Ruminate computes with.
// Layouts are those of ggml's `block_*` structs (ggml/src/ggml-common.h) and the decoding
// is that of `dequantize_row_*` (ggml/src/ggml-quants.c), in llama.cpp (ggml-org/llama.cpp).
// Every multi-byte field is little-endian and blocks are packed back to back with no padding
// (q4_0 blocks are 18 bytes, so fields are not 4-byte aligned).

import { RuminateError } from '../errors.ts';
import { type GgmlTypeName, ggmlType } from './ggml-types.ts';
import { bf16BitsToF32, f16BitsToF32 } from './half.ts';

/** Types `dequantize` / `quantize` handle. */
export const QUANT_TYPES = [
  'f32',
  'f16',
  'bf16',
  'q8_0',
  'q4_0',
  'q4_1',
  'q5_0',
  'q4_k',
  'q5_k',
  'q6_k',
] as const;

/** One of the types with a CPU reference codec. */
export type QuantTypeName = (typeof QUANT_TYPES)[number];

/** True when `type` has a CPU reference codec. */
export function isQuantType(type: GgmlTypeName): type is QuantTypeName {
  return (QUANT_TYPES as readonly string[]).includes(type);
}

/** Bytes and block count for `count` values of `type`; throws on a partial block or unknown type. */
export function checkedLayout(
  type: GgmlTypeName,
  count: number,
): { blocks: number; blockBytes: number; bytes: number } {
  if (!isQuantType(type)) {
    throw new RuminateError(
      'invalid-argument',
      `No CPU codec for ggml type ${type}; use one of ${QUANT_TYPES.join(', ')}.`,
      { field: 'type' },
    );
  }
  const info = ggmlType(type);
  if (!Number.isInteger(count) || count < 0 || count % info.blockSize !== 0) {
    throw new RuminateError(
      'invalid-argument',
      `${type} stores values in blocks of ${info.blockSize}; ${count} values is not a whole number of blocks (pad the row).`,
      { field: 'count' },
    );
  }
  const blocks = count / info.blockSize;
  return { blocks, blockBytes: info.blockBytes, bytes: blocks * info.blockBytes };
}

/**
 * Decodes `count` values of GGML type `type` from `bytes` (GGUF tensor data, packed blocks),
 * exactly as ggml's dequantize_row_* does. `count` must be a multiple of the block size.
 */
export function dequantize(type: GgmlTypeName, bytes: Uint8Array, count: number): Float32Array {
  const { blocks, blockBytes, bytes: need } = checkedLayout(type, count);
  if (bytes.byteLength < need) {
    throw new RuminateError(
      'invalid-argument',
      `${count} ${type} values need ${need} bytes, got ${bytes.byteLength}.`,
      { field: 'bytes' },
    );
  }
  const out = new Float32Array(count);
  const v = new DataView(bytes.buffer, bytes.byteOffset, need);
  const h = (o: number) => f16BitsToF32(v.getUint16(o, true));
  for (let b = 0; b < blocks; b++) {
    const o = b * blockBytes;
    switch (type) {
      case 'f32':
        out[b] = v.getFloat32(o, true);
        break;
      case 'f16':
        out[b] = h(o);
        break;
      case 'bf16':
        out[b] = bf16BitsToF32(v.getUint16(o, true));
        break;
      case 'q8_0':
        decodeQ8_0(v, o, h(o), out, b * 32);
        break;
      case 'q4_0':
        decodeQ4_0(v, o, h(o), out, b * 32);
        break;
      case 'q4_1':
        decodeQ4_1(v, o, h(o), h(o + 2), out, b * 32);
        break;
      case 'q5_0':
        decodeQ5_0(v, o, h(o), out, b * 32);
        break;
      case 'q4_k':
        decodeQ4K(v, o, out, b * 256, false);
        break;
      case 'q5_k':
        decodeQ4K(v, o, out, b * 256, true);
        break;
      case 'q6_k':
        decodeQ6K(v, o, out, b * 256);
        break;
    }
  }
  return out;
}

// block_q8_0 { ggml_half d; int8_t qs[32]; } — y = d · qs[j]
function decodeQ8_0(v: DataView, o: number, d: number, out: Float32Array, y: number): void {
  for (let j = 0; j < 32; j++) out[y + j] = d * v.getInt8(o + 2 + j);
}

// block_q4_0 { ggml_half d; uint8_t qs[16]; } — value j in the low nibble of qs[j],
// value j+16 in the high nibble; y = d · (q − 8)
function decodeQ4_0(v: DataView, o: number, d: number, out: Float32Array, y: number): void {
  for (let j = 0; j < 16; j++) {
    const q = v.getUint8(o + 2 + j);
    out[y + j] = d * ((q & 15) - 8);
    out[y + j + 16] = d * ((q >> 4) - 8);
  }
}

// block_q4_1 { ggml_half d; ggml_half m; uint8_t qs[16]; } — y = d · q + m
function decodeQ4_1(v: DataView, o: number, d: number, m: number, out: Float32Array, y: number): void {
  for (let j = 0; j < 16; j++) {
    const q = v.getUint8(o + 4 + j);
    out[y + j] = d * (q & 15) + m;
    out[y + j + 16] = d * (q >> 4) + m;
  }
}

// block_q5_0 { ggml_half d; uint8_t qh[4]; uint8_t qs[16]; } — the fifth bit of value j is
// bit j of the little-endian u32 qh; y = d · (q − 16)
function decodeQ5_0(v: DataView, o: number, d: number, out: Float32Array, y: number): void {
  const qh = v.getUint32(o + 2, true);
  for (let j = 0; j < 16; j++) {
    const q = v.getUint8(o + 6 + j);
    const lo = (q & 15) | (((qh >>> j) & 1) << 4);
    const hi = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
    out[y + j] = d * (lo - 16);
    out[y + j + 16] = d * (hi - 16);
  }
}

/**
 * The 6-bit scale and min of sub-block `j` (0..7) from the 12 packed bytes of a q4_K/q5_K
 * block (ggml's get_scale_min_k4): sub-blocks 0–3 keep their low 6 bits in bytes j and j+4,
 * sub-blocks 4–7 keep 4 bits in byte j+4 and their top 2 bits in the spare bits of bytes j−4, j.
 */
export function scaleMinK4(scales: (i: number) => number, j: number): [number, number] {
  if (j < 4) return [scales(j) & 63, scales(j + 4) & 63];
  return [(scales(j + 4) & 15) | ((scales(j - 4) >> 6) << 4), (scales(j + 4) >> 4) | ((scales(j) >> 6) << 4)];
}

// block_q4_K { ggml_half d; ggml_half dmin; uint8_t scales[12]; uint8_t qs[128]; } (144 bytes)
// block_q5_K { ggml_half d; ggml_half dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; }
// 8 sub-blocks of 32; each 64-value chunk c uses qs[32c .. 32c+31]: low nibbles for sub-block 2c,
// high nibbles for 2c+1; q5_K's fifth bit of value l in sub-block s is bit s of qh[l].
// y = d · sc_s · q − dmin · m_s
function decodeQ4K(v: DataView, o: number, out: Float32Array, y: number, five: boolean): void {
  const d = f16BitsToF32(v.getUint16(o, true));
  const dmin = f16BitsToF32(v.getUint16(o + 2, true));
  const scales = (i: number) => v.getUint8(o + 4 + i);
  const qh = o + 16;
  const qs = o + (five ? 48 : 16);
  for (let c = 0; c < 4; c++) {
    for (let half = 0; half < 2; half++) {
      const s = 2 * c + half;
      const [sc, m] = scaleMinK4(scales, s);
      const d1 = d * sc;
      const m1 = dmin * m;
      for (let l = 0; l < 32; l++) {
        const byte = v.getUint8(qs + 32 * c + l);
        let q = half ? byte >> 4 : byte & 15;
        if (five) q |= ((v.getUint8(qh + l) >> s) & 1) << 4;
        out[y + 32 * s + l] = d1 * q - m1;
      }
    }
  }
}

// block_q6_K { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; ggml_half d; } (210 bytes)
// Per 128-value half n: ql[64n + l] and ql[64n + 32 + l] hold low nibbles of values l, l+32
// (low) and l+64, l+96 (high); qh[32n + l] holds their top two bits at shifts 0, 2, 4, 6.
// 16 sub-blocks of 16 values, each with an int8 scale; y = d · sc · (q − 32)
function decodeQ6K(v: DataView, o: number, out: Float32Array, y: number): void {
  const d = f16BitsToF32(v.getUint16(o + 208, true));
  for (let n = 0; n < 2; n++) {
    const ql = o + 64 * n;
    const qh = o + 128 + 32 * n;
    const sc = o + 192 + 8 * n;
    for (let l = 0; l < 32; l++) {
      const is = l >> 4;
      const h = v.getUint8(qh + l);
      const a = v.getUint8(ql + l);
      const b = v.getUint8(ql + 32 + l);
      const q1 = ((a & 15) | ((h & 3) << 4)) - 32;
      const q2 = ((b & 15) | (((h >> 2) & 3) << 4)) - 32;
      const q3 = ((a >> 4) | (((h >> 4) & 3) << 4)) - 32;
      const q4 = ((b >> 4) | (((h >> 6) & 3) << 4)) - 32;
      const base = y + 128 * n + l;
      out[base] = d * v.getInt8(sc + is) * q1;
      out[base + 32] = d * v.getInt8(sc + is + 2) * q2;
      out[base + 64] = d * v.getInt8(sc + is + 4) * q3;
      out[base + 96] = d * v.getInt8(sc + is + 6) * q4;
    }
  }
}
