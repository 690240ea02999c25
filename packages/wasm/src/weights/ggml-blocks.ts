// Decoders of GGUF rows into integer values and per-group scales: the form repack() packs.
// Block layouts are ggml's `block_*` structs (ggml/src/ggml-common.h) and the decoding follows
// `dequantize_row_*` (ggml/src/ggml-quants.c): a row decodes to q (integers ≥ 0, or signed for
// q8), d per scale group and m per group (free offsets), so that weight = d·q + offset exactly.
import { f16ToF32 } from './half-float.ts';
import type { WeightType } from './packed-format.ts';

/** One row decoded: values and their group scales and offsets. */
export interface DecodedRow {
  /** The integer values (0…127 unsigned, or −128…127 for q8 types), one per column. */
  q: Int32Array;
  /** Scale per group (of 32, or 16 for q6_k). */
  d: Float32Array;
  /** Offset per group (free-offset types; zeros otherwise). */
  m: Float32Array;
}

/**
 * Decodes one row of `cols` values of quantized `type` from `src` at byte `at` into `out`
 * (whose arrays are sized cols and cols/group).
 */
export function decodeRow(type: WeightType, src: DataView, at: number, cols: number, out: DecodedRow): void {
  const h = (o: number) => f16ToF32(src.getUint16(o, true));
  const u8 = (o: number) => src.getUint8(o);
  const { q, d, m } = out;
  switch (type) {
    case 'q8_0': // { half d; int8 qs[32]; }
    case 'q8_1': {
      // { half d; half s; int8 qs[32]; }
      const bytes = type === 'q8_0' ? 34 : 36;
      const qs = type === 'q8_0' ? 2 : 4;
      for (let b = 0; b < cols / 32; b++) {
        const o = at + b * bytes;
        d[b] = h(o);
        for (let j = 0; j < 32; j++) q[32 * b + j] = src.getInt8(o + qs + j);
      }
      return;
    }
    case 'q4_0': // { half d; uint8 qs[16]; } value j low nibble of qs[j], j+16 high; y = d(q − 8)
    case 'q4_1': {
      // { half d; half m; uint8 qs[16]; } y = d·q + m
      const one = type === 'q4_1';
      const bytes = one ? 20 : 18;
      for (let b = 0; b < cols / 32; b++) {
        const o = at + b * bytes;
        d[b] = h(o);
        if (one) m[b] = h(o + 2);
        const qs = o + (one ? 4 : 2);
        for (let j = 0; j < 16; j++) {
          q[32 * b + j] = u8(qs + j) & 15;
          q[32 * b + j + 16] = u8(qs + j) >> 4;
        }
      }
      return;
    }
    case 'q5_0': // { half d; uint8 qh[4]; uint8 qs[16]; } 5th bit of value j = bit j of u32 qh
    case 'q5_1': {
      // { half d; half m; uint8 qh[4]; uint8 qs[16]; }
      const one = type === 'q5_1';
      const bytes = one ? 24 : 22;
      for (let b = 0; b < cols / 32; b++) {
        const o = at + b * bytes;
        d[b] = h(o);
        if (one) m[b] = h(o + 2);
        const qh = src.getUint32(o + (one ? 4 : 2), true);
        const qs = o + (one ? 8 : 6);
        for (let j = 0; j < 16; j++) {
          q[32 * b + j] = (u8(qs + j) & 15) | (((qh >>> j) & 1) << 4);
          q[32 * b + j + 16] = (u8(qs + j) >> 4) | (((qh >>> (j + 16)) & 1) << 4);
        }
      }
      return;
    }
    case 'q4_k': // { half d; half dmin; uint8 scales[12]; uint8 qs[128]; }
    case 'q5_k': {
      // { half d; half dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]; }
      // 64-value chunk c uses qs[32c + l]: low nibbles for sub-block 2c, high for 2c + 1; q5_K's
      // fifth bit of value l of sub-block s is bit s of qh[l]. y = d·sc_s·q − dmin·m_s.
      const five = type === 'q5_k';
      const bytes = five ? 176 : 144;
      for (let b = 0; b < cols / 256; b++) {
        const o = at + b * bytes;
        const dd = h(o);
        const dmin = h(o + 2);
        const qs = o + (five ? 48 : 16);
        for (let s = 0; s < 8; s++) {
          const [sc, mn] = scaleMinK4((i) => u8(o + 4 + i), s);
          d[8 * b + s] = dd * sc;
          m[8 * b + s] = -dmin * mn;
          const c = s >> 1;
          for (let l = 0; l < 32; l++) {
            const byte = u8(qs + 32 * c + l);
            let v = s & 1 ? byte >> 4 : byte & 15;
            if (five) v |= ((u8(o + 16 + l) >> s) & 1) << 4;
            q[256 * b + 32 * s + l] = v;
          }
        }
      }
      return;
    }
    case 'q6_k': {
      // { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d; } per 128-value half n:
      // ql[64n + l], ql[64n + 32 + l] hold the low nibbles of values l, l+32 (low) and l+64,
      // l+96 (high); qh[32n + l] their top two bits at shifts 0, 2, 4, 6; y = d·sc·(q − 32).
      for (let b = 0; b < cols / 256; b++) {
        const o = at + b * 210;
        const dd = h(o + 208);
        for (let g = 0; g < 16; g++) d[16 * b + g] = dd * src.getInt8(o + 192 + g);
        for (let n = 0; n < 2; n++) {
          for (let l = 0; l < 32; l++) {
            const hb = u8(o + 128 + 32 * n + l);
            const a = u8(o + 64 * n + l);
            const c = u8(o + 64 * n + 32 + l);
            const base = 256 * b + 128 * n + l;
            q[base] = (a & 15) | ((hb & 3) << 4);
            q[base + 32] = (c & 15) | (((hb >> 2) & 3) << 4);
            q[base + 64] = (a >> 4) | (((hb >> 4) & 3) << 4);
            q[base + 96] = (c >> 4) | (((hb >> 6) & 3) << 4);
          }
        }
      }
      return;
    }
    default:
      throw new RangeError(`decodeRow: ${type} is not a quantized type.`);
  }
}

/**
 * The 6-bit scale and min of sub-block `j` (0…7) of a q4_K/q5_K block (ggml's
 * get_scale_min_k4): sub-blocks 0–3 keep their low 6 bits in bytes j and j+4; 4–7 keep 4 bits
 * in byte j+4 and their top 2 bits in the spare bits of bytes j−4 and j.
 */
function scaleMinK4(scales: (i: number) => number, j: number): [number, number] {
  if (j < 4) return [scales(j) & 63, scales(j + 4) & 63];
  return [(scales(j + 4) & 15) | ((scales(j - 4) >> 6) << 4), (scales(j + 4) >> 4) | ((scales(j) >> 6) << 4)];
}
