// CPU quantizers writing GGML block layouts byte-exactly (ggml/src/ggml-common.h structs;
// packing as in ggml/src/ggml-quants.c quantize_row_*_ref). The scale choices are our own:
// round-to-nearest with a small per-block scale search that minimises squared error, using
// the f16-rounded scales that are actually stored, so what `dequantize` reads back is the best
// the search found. Used to write GGUF fixtures and kernel test weights.

import { checkedLayout, type QuantTypeName } from './dequantize.ts';
import type { GgmlTypeName } from './ggml-types.ts';
import { f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from './half.ts';

/** Encodes `values` as GGML type `type`; `values.length` must be a multiple of the block size. */
export function quantize(type: GgmlTypeName, values: Float32Array): Uint8Array {
  const { blocks, blockBytes, bytes } = checkedLayout(type, values.length);
  const out = new Uint8Array(bytes);
  const v = new DataView(out.buffer);
  const t = type as QuantTypeName;
  for (let b = 0; b < blocks; b++) {
    const o = b * blockBytes;
    switch (t) {
      case 'f32':
        v.setFloat32(o, values[b] as number, true);
        break;
      case 'f16':
        v.setUint16(o, f32ToF16Bits(values[b] as number), true);
        break;
      case 'bf16':
        v.setUint16(o, f32ToBf16Bits(values[b] as number), true);
        break;
      case 'q8_0':
        encodeSymmetric(values.subarray(b * 32, b * 32 + 32), v, o, 8);
        break;
      case 'q4_0':
        encodeSymmetric(values.subarray(b * 32, b * 32 + 32), v, o, 4);
        break;
      case 'q5_0':
        encodeSymmetric(values.subarray(b * 32, b * 32 + 32), v, o, 5);
        break;
      case 'q4_1':
        encodeQ4_1(values.subarray(b * 32, b * 32 + 32), v, o);
        break;
      case 'q4_k':
        encodeQ4K(values.subarray(b * 256, b * 256 + 256), v, o, false);
        break;
      case 'q5_k':
        encodeQ4K(values.subarray(b * 256, b * 256 + 256), v, o, true);
        break;
      case 'q6_k':
        encodeQ6K(values.subarray(b * 256, b * 256 + 256), v, o);
        break;
    }
  }
  return out;
}

const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, x));

/** Value stored for a scale: rounded to f16 and back. */
const asF16 = (x: number) => f16BitsToF32(f32ToF16Bits(x));

/**
 * Best scale for x ≈ d·q with integer q in [lo, hi]: tries scales around max/|lo| (both
 * signs of the extreme map to the wide end of the range) and keeps the lowest squared error
 * after rounding the scale to what is stored. Returns the stored scale (0 for an all-zero group).
 */
function searchSymmetricScale(x: Float32Array, lo: number, hi: number, store: (d: number) => number): number {
  let max = 0;
  for (const value of x) if (Math.abs(value) > Math.abs(max)) max = value;
  if (max === 0) return 0;
  let best = 0;
  let bestErr = Number.POSITIVE_INFINITY;
  for (let step = -6; step <= 6; step++) {
    // The extreme value lands on the wide end (lo), as ggml's q4_0 does with max / −8.
    const d = store(max / (lo - 0.1 * step));
    if (d === 0 || !Number.isFinite(d)) continue;
    let err = 0;
    for (const value of x) {
      const q = clamp(Math.round(value / d), lo, hi);
      err += (value - d * q) ** 2;
    }
    if (err < bestErr) {
      bestErr = err;
      best = d;
    }
  }
  return best;
}

// q8_0 / q4_0 / q5_0: one f16 scale per 32 values, q in [−2^(bits−1), 2^(bits−1) − 1].
function encodeSymmetric(x: Float32Array, v: DataView, o: number, bits: 4 | 5 | 8): void {
  const lo = -(1 << (bits - 1));
  const hi = (1 << (bits - 1)) - 1;
  // q8_0 keeps ggml's symmetric ±127 range (−128 unused), so the extreme maps to 127·d.
  const d = bits === 8 ? searchSymmetricScale(x, -127, 127, asF16) : searchSymmetricScale(x, lo, hi, asF16);
  v.setUint16(o, f32ToF16Bits(d), true);
  const q = (value: number) => (d === 0 ? 0 : clamp(Math.round(value / d), bits === 8 ? -127 : lo, hi));
  if (bits === 8) {
    for (let j = 0; j < 32; j++) v.setInt8(o + 2 + j, q(x[j] as number));
    return;
  }
  if (bits === 4) {
    for (let j = 0; j < 16; j++) {
      v.setUint8(o + 2 + j, (q(x[j] as number) + 8) | ((q(x[j + 16] as number) + 8) << 4));
    }
    return;
  }
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    const a = q(x[j] as number) + 16;
    const b = q(x[j + 16] as number) + 16;
    v.setUint8(o + 6 + j, (a & 15) | ((b & 15) << 4));
    qh |= ((a >> 4) << j) | ((b >> 4) << (j + 16));
  }
  v.setUint32(o + 2, qh >>> 0, true);
}

/**
 * Asymmetric fit x ≈ d·q − m with q in [0, nmax] (m ≥ 0 unless `freeOffset`, as K-quants
 * store non-negative mins): tries a few scales around (max − min)/nmax, refits
 * d and m by least squares for the chosen q, and keeps the lowest squared error.
 */
function searchAsymmetric(x: Float32Array, nmax: number, freeOffset = false): { d: number; m: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of x) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (min > 0 && !freeOffset) min = 0; // K-quant mins are offsets below zero (ggml does the same)
  if (max === min) return { d: 0, m: -min };
  const n = x.length;
  let best = { d: (max - min) / nmax, m: -min };
  let bestErr = Number.POSITIVE_INFINITY;
  const q = new Int32Array(n);
  for (let step = -10; step <= 10; step++) {
    const iscale = (nmax + 0.1 * step) / (max - min);
    let sl = 0;
    let sl2 = 0;
    let sx = 0;
    let slx = 0;
    for (let i = 0; i < n; i++) {
      const value = x[i] as number;
      const l = clamp(Math.round(iscale * (value - min)), 0, nmax);
      q[i] = l;
      sl += l;
      sl2 += l * l;
      sx += value;
      slx += l * value;
    }
    // Least squares for x ≈ d·l + b, then b = −m clamped to ≤ 0.
    const det = n * sl2 - sl * sl;
    let d = det > 0 ? (n * slx - sl * sx) / det : 1 / iscale;
    let b = det > 0 ? (sl2 * sx - sl * slx) / det : min;
    if (b > 0 && !freeOffset) {
      b = 0;
      d = sl2 > 0 ? slx / sl2 : d;
    }
    if (!(d > 0)) continue;
    let err = 0;
    for (let i = 0; i < n; i++) err += ((x[i] as number) - d * (q[i] as number) - b) ** 2;
    if (err < bestErr) {
      bestErr = err;
      best = { d, m: -b };
    }
  }
  return best;
}

// block_q4_1 { ggml_half d; ggml_half m; uint8_t qs[16]; } — y = d·q + m, q in [0, 15].
function encodeQ4_1(x: Float32Array, v: DataView, o: number): void {
  const fit = searchAsymmetric(x, 15, true);
  const d = asF16(fit.d);
  const m = asF16(-fit.m);
  v.setUint16(o, f32ToF16Bits(d), true);
  v.setUint16(o + 2, f32ToF16Bits(m), true);
  const q = (value: number) => (d === 0 ? 0 : clamp(Math.round((value - m) / d), 0, 15));
  for (let j = 0; j < 16; j++) v.setUint8(o + 4 + j, q(x[j] as number) | (q(x[j + 16] as number) << 4));
}

// q4_K / q5_K: super-block of 256 = 8 sub-blocks of 32, each with a 6-bit scale and min
// relative to the f16 super-scales d and dmin; packing per ggml quantize_row_q4_K_ref.
function encodeQ4K(x: Float32Array, v: DataView, o: number, five: boolean): void {
  const nmax = five ? 31 : 15;
  const fits = [];
  for (let s = 0; s < 8; s++) fits.push(searchAsymmetric(x.subarray(32 * s, 32 * s + 32), nmax));
  const maxScale = Math.max(...fits.map((f) => f.d));
  const maxMin = Math.max(...fits.map((f) => f.m));
  const d = asF16(maxScale / 63);
  const dmin = asF16(maxMin / 63);
  const ls = fits.map((f) => (d > 0 ? clamp(Math.round(f.d / d), 0, 63) : 0));
  const lm = fits.map((f) => (dmin > 0 ? clamp(Math.round(f.m / dmin), 0, 63) : 0));
  v.setUint16(o, f32ToF16Bits(d), true);
  v.setUint16(o + 2, f32ToF16Bits(dmin), true);
  const sc = new Uint8Array(12);
  for (let j = 0; j < 8; j++) {
    const a = ls[j] as number;
    const m = lm[j] as number;
    if (j < 4) {
      sc[j] = a;
      sc[j + 4] = m;
    } else {
      sc[j + 4] = (a & 15) | ((m & 15) << 4);
      sc[j - 4] = (sc[j - 4] as number) | ((a >> 4) << 6);
      sc[j] = (sc[j] as number) | ((m >> 4) << 6);
    }
  }
  for (let i = 0; i < 12; i++) v.setUint8(o + 4 + i, sc[i] as number);
  // Requantize with the scales as stored.
  const q = new Uint8Array(256);
  for (let s = 0; s < 8; s++) {
    const ds = d * (ls[s] as number);
    const ms = dmin * (lm[s] as number);
    for (let l = 0; l < 32; l++) {
      const value = x[32 * s + l] as number;
      q[32 * s + l] = ds > 0 ? clamp(Math.round((value + ms) / ds), 0, nmax) : 0;
    }
  }
  const qs = o + (five ? 48 : 16);
  for (let c = 0; c < 4; c++) {
    for (let l = 0; l < 32; l++) {
      const a = q[64 * c + l] as number;
      const b = q[64 * c + 32 + l] as number;
      v.setUint8(qs + 32 * c + l, (a & 15) | ((b & 15) << 4));
    }
  }
  if (five) {
    for (let l = 0; l < 32; l++) {
      let h = 0;
      for (let s = 0; s < 8; s++) h |= (((q[32 * s + l] as number) >> 4) & 1) << s;
      v.setUint8(o + 16 + l, h);
    }
  }
}

// block_q6_K { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; ggml_half d; }: 16 groups
// of 16 values, q in [−32, 31], int8 group scales relative to the f16 super-scale d.
function encodeQ6K(x: Float32Array, v: DataView, o: number): void {
  const groupScales: number[] = [];
  for (let g = 0; g < 16; g++)
    groupScales.push(searchSymmetricScale(x.subarray(16 * g, 16 * g + 16), -32, 31, (s) => s));
  let maxScale = 0;
  for (const s of groupScales) if (Math.abs(s) > Math.abs(maxScale)) maxScale = s;
  // Map the largest group scale to −128 (or 127 when positive), as ggml's iscale = −128/max.
  const d = maxScale === 0 ? 0 : asF16(Math.abs(maxScale) / 127);
  const sc = groupScales.map((s) => (d === 0 ? 0 : clamp(Math.round(s / d), -128, 127)));
  const q = new Uint8Array(256);
  for (let g = 0; g < 16; g++) {
    const ds = d * (sc[g] as number);
    for (let l = 0; l < 16; l++) {
      const value = x[16 * g + l] as number;
      q[16 * g + l] = (ds === 0 ? 0 : clamp(Math.round(value / ds), -32, 31)) + 32;
    }
  }
  for (let n = 0; n < 2; n++) {
    for (let l = 0; l < 32; l++) {
      const base = 128 * n + l;
      const q1 = q[base] as number;
      const q2 = q[base + 32] as number;
      const q3 = q[base + 64] as number;
      const q4 = q[base + 96] as number;
      v.setUint8(o + 64 * n + l, (q1 & 15) | ((q3 & 15) << 4));
      v.setUint8(o + 64 * n + 32 + l, (q2 & 15) | ((q4 & 15) << 4));
      v.setUint8(o + 128 + 32 * n + l, (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
    }
  }
  for (let g = 0; g < 16; g++) v.setInt8(o + 192 + g, sc[g] as number);
  v.setUint16(o + 208, f32ToF16Bits(d), true);
}
