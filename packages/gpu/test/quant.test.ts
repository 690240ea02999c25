import { describe, expect, it } from 'vitest';
import {
  bf16BitsToF32,
  dequantize,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  ggmlType,
  QUANT_TYPES,
  quantize,
} from '../src/quant/index.ts';
import { freshSeed, randomF32, seededRandom } from '../src/testing/index.ts';

/** Block bytes from (offset, byte) pairs over a zeroed block. */
function block(size: number, bytes: Record<number, number>): Uint8Array {
  const b = new Uint8Array(size);
  for (const [o, v] of Object.entries(bytes)) b[Number(o)] = v;
  return b;
}

/** -0 → 0 so hand-written expectations can say 0. */
const plain = (a: Float32Array) => Array.from(a, (x) => x + 0);

describe('f16 / bf16 conversion', () => {
  it('decodes hand-written bit patterns', () => {
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0xc000)).toBe(-2);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x0400)).toBe(2 ** -14);
    expect(f16BitsToF32(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
    expect(bf16BitsToF32(0x3f80)).toBe(1);
    expect(bf16BitsToF32(0xc049)).toBe(-3.140625);
  });

  it('every finite f16 survives f16 → f32 → f16', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue; // NaN payloads are not preserved
      if (f32ToF16Bits(f16BitsToF32(h)) !== h) throw new Error(`f16 0x${h.toString(16)} did not round-trip`);
    }
  });

  it('rounds to nearest, ties to even, with overflow and subnormal underflow', () => {
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even (down)
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(f32ToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // above the tie
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // halfway past the largest finite → inf
    expect(f32ToF16Bits(65519)).toBe(0x7bff);
    expect(f32ToF16Bits(2 ** -25)).toBe(0); // exactly half the smallest subnormal → even (0)
    expect(f32ToF16Bits(2 ** -25 * 1.5)).toBe(1);
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(2); // 1.5 ulp tie → even
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(f32ToF16Bits(Number.NaN) & 0x7e00).toBe(0x7e00);
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(f32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(f32ToBf16Bits(Number.NaN) & 0x7fc0).toBe(0x7fc0);
  });

  it('agrees with a float64 nearest-value search on random inputs', () => {
    const seed = freshSeed();
    const rand = seededRandom(seed);
    for (let i = 0; i < 2000; i++) {
      const x = (rand() - 0.5) * 2 ** Math.floor(rand() * 40 - 26);
      const h = f32ToF16Bits(x);
      const v = f16BitsToF32(h);
      const sign = h & 0x8000;
      const mag = h & 0x7fff;
      const neighbours = [mag - 1, mag + 1]
        .filter((m) => m >= 0 && m < 0x7c00)
        .map((m) => f16BitsToF32(sign | m));
      const err = Math.abs(v - Math.fround(x));
      // No neighbour (same sign, one ulp away) is strictly closer; seed printed on failure.
      for (const w of neighbours)
        expect(err, `seed ${seed} x ${x}`).toBeLessThanOrEqual(Math.abs(w - Math.fround(x)));
    }
  });
});

describe('dequantize: hand-made blocks', () => {
  it('f32 / f16 / bf16 little-endian', () => {
    expect(plain(dequantize('f32', block(8, { 2: 0x80, 3: 0x3f, 7: 0xc0 }), 2))).toEqual([1, -2]);
    expect(plain(dequantize('f16', block(4, { 1: 0x3c, 2: 0x00, 3: 0xb8 }), 2))).toEqual([1, -0.5]);
    expect(plain(dequantize('bf16', block(4, { 1: 0x3f, 0: 0x80, 3: 0x40 }), 2))).toEqual([1, 2]);
  });

  it('q8_0: d · int8', () => {
    // d = 0.5 (f16 0x3800); qs = 1, −1, 127, −128
    const out = dequantize('q8_0', block(34, { 1: 0x38, 2: 1, 3: 0xff, 4: 127, 5: 0x80 }), 32);
    expect(plain(out).slice(0, 5)).toEqual([0.5, -0.5, 63.5, -64, 0]);
  });

  it('q4_0: low nibbles first, then high nibbles, minus 8', () => {
    // d = 2; qs[0] = 0x9f → value 0 = (15 − 8)·2, value 16 = (9 − 8)·2; zero nibbles give −16
    const out = dequantize('q4_0', block(18, { 1: 0x40, 2: 0x9f }), 32);
    expect(out[0]).toBe(14);
    expect(out[16]).toBe(2);
    expect(out[1]).toBe(-16);
    expect(out[31]).toBe(-16);
  });

  it('q4_1: d · q + m', () => {
    // d = 1, m = −1; qs[0] = 0x21
    const out = dequantize('q4_1', block(20, { 1: 0x3c, 3: 0xbc, 4: 0x21 }), 32);
    expect([out[0], out[16], out[1]]).toEqual([0, 1, -1]);
  });

  it('q5_0: fifth bit from the little-endian qh word', () => {
    // d = 1; qh = 0x00010001 (bits 0 and 16); qs[0] = 0x53; qh byte 3 bit 7 → value 31's bit
    const out = dequantize('q5_0', block(22, { 1: 0x3c, 2: 0x01, 4: 0x01, 5: 0x80, 6: 0x53, 21: 0xf0 }), 32);
    expect(out[0]).toBe(3); // (3 | 16) − 16
    expect(out[16]).toBe(5); // (5 | 16) − 16
    expect(out[1]).toBe(-16);
    expect(out[31]).toBe(15 + 16 - 16); // qs[15] high nibble 15, qh bit 31 set
    expect(out[15]).toBe(-16);
  });

  // Sub-block 0: scale 2, min 4 (bytes 0 and 4). Sub-block 5: scale 37 = 0b10_0101, min
  // 26 = 0b01_1010 → byte 9 = 0xa5 (low nibbles), byte 1 gets 37 >> 4 = 2 in bits 6–7 (0x80),
  // byte 5 gets 26 >> 4 = 1 in bits 6–7 (0x40). d = 1, dmin = 0.5.
  const kScales = { 0: 0x00, 1: 0x3c, 2: 0x00, 3: 0x38, 4: 2, 5: 0x80, 8: 4, 9: 0x40, 13: 0xa5 };

  it('q4_k: packed 6-bit scales/mins, sub-block pairs share bytes', () => {
    // value 0 (sub-block 0, low nibble of qs[0]) = 1·2·7 − 0.5·4 = 12
    // value 163 (sub-block 5 = chunk 2 high nibble, l = 3 → qs[64 + 3]) = 37·11 − 0.5·26 = 394
    const out = dequantize('q4_k', block(144, { ...kScales, 16: 0x07, [16 + 64 + 3]: 0xb0 }), 256);
    expect(out[0]).toBe(12);
    expect(out[1]).toBe(-2); // q = 0 → −dmin·min
    expect(out[163]).toBe(394);
    expect(out[160]).toBe(-13);
    expect(out[32]).toBe(0); // sub-block 1: scale 0, min 0
    expect(out[128 + 3]).toBe(0); // sub-block 4 shares byte qs[67] (low nibble 0), scale 0
  });

  it('q5_k: as q4_k plus a fifth bit per sub-block from qh[l]', () => {
    // qh[3] bit 5 → value 163 gets +16: 37·27 − 13 = 986; qh[0] bit 0 → value 0 gets +16
    const out = dequantize(
      'q5_k',
      block(176, { ...kScales, 16: 0x01, 19: 0x20, 48: 0x07, [48 + 64 + 3]: 0xb0 }),
      256,
    );
    expect(out[0]).toBe(2 * 23 - 2);
    expect(out[163]).toBe(986);
    expect(out[3]).toBe(-2);
  });

  it('q6_k: ql/qh interleave, int8 group scales, d at the end', () => {
    // d = 0.5 at byte 208; scales[0] = −3, [2] = 5, [4] = 7
    // ql[0] = 0x21, qh[0] = 0b10: value 0 = (1 | 2<<4) − 32 = 1 → 0.5·−3·1; value 64 = 2 − 32
    const out = dequantize(
      'q6_k',
      block(210, { 0: 0x21, 128: 0x02, 192: 0xfd, 194: 5, 196: 7, 209: 0x38 }),
      256,
    );
    expect(out[0]).toBe(-1.5);
    expect(out[64]).toBe(0.5 * 7 * -30);
    expect(out[32]).toBe(0.5 * 5 * -32);
    expect(out[16] as number).toBe(-0); // scales[1] = 0
    expect(out[128]).toBe(-0); // second half uses scales[8..] = 0
  });

  it('reads blocks at any byte offset and rejects partial blocks', () => {
    const inner = block(18, { 1: 0x40, 2: 0x9f });
    const padded = new Uint8Array(3 + 18);
    padded.set(inner, 3);
    expect(plain(dequantize('q4_0', padded.subarray(3), 32))).toEqual(plain(dequantize('q4_0', inner, 32)));
    expect(() => dequantize('q4_0', inner, 16)).toThrow(/blocks of 32/);
    expect(() => dequantize('q4_0', inner.subarray(0, 10), 32)).toThrow(/need 18 bytes/);
    expect(() => dequantize('q2_k', inner, 256)).toThrow(/No CPU codec/);
  });
});

// Error bounds for uniform [−1, 1) inputs, as RMS error over the whole tensor. Each bound is
// about 1.25× the expected rounding noise step/√12 for the format's step size.
const rmsBound: Record<string, number> = {
  f32: 0,
  f16: 2 ** -11 / Math.sqrt(3), // half-ulp near 1
  bf16: 2 ** -8 / Math.sqrt(3),
  q8_0: 1.25 * (1 / 127 / Math.sqrt(12)),
  q4_0: 1.25 * (1 / 7.5 / Math.sqrt(12)),
  q4_1: 1.25 * (2 / 15 / Math.sqrt(12)),
  q5_0: 1.25 * (1 / 15.5 / Math.sqrt(12)),
  q4_k: 1.3 * (2 / 15 / Math.sqrt(12)),
  q5_k: 1.3 * (2 / 31 / Math.sqrt(12)),
  q6_k: 1.3 * (1 / 31.5 / Math.sqrt(12)),
};

describe('quantize → dequantize round trip', () => {
  for (const type of QUANT_TYPES) {
    it(`${type}: byte size and error bound on random data`, () => {
      const seed = freshSeed();
      const rand = seededRandom(seed);
      const n = 256 * 12;
      const x = randomF32(n, rand);
      const bytes = quantize(type, x);
      const info = ggmlType(type);
      expect(bytes.byteLength).toBe((n / info.blockSize) * info.blockBytes);
      const y = dequantize(type, bytes, n);
      let se = 0;
      for (let i = 0; i < n; i++) se += ((y[i] as number) - (x[i] as number)) ** 2;
      const rms = Math.sqrt(se / n);
      expect(rms, `${type} seed ${seed}`).toBeLessThanOrEqual(rmsBound[type] as number);
    });
  }

  it('beats (or matches) ggml’s plain q4_0 rule d = max/−8 on every block', () => {
    const seed = freshSeed();
    const x = randomF32(32 * 64, seededRandom(seed), -3, 2);
    const ours = dequantize('q4_0', quantize('q4_0', x), x.length);
    for (let b = 0; b < 64; b++) {
      const xs = x.subarray(b * 32, b * 32 + 32);
      let max = 0;
      for (const v of xs) if (Math.abs(v) > Math.abs(max)) max = v;
      const d = f16BitsToF32(f32ToF16Bits(max / -8));
      let ref = 0;
      let mine = 0;
      for (let j = 0; j < 32; j++) {
        const v = xs[j] as number;
        const q = Math.min(15, Math.max(0, Math.floor(v / d + 8.5))) - 8;
        ref += (v - d * q) ** 2;
        mine += (v - (ours[b * 32 + j] as number)) ** 2;
      }
      expect(mine, `block ${b} seed ${seed}`).toBeLessThanOrEqual(ref * (1 + 1e-9));
    }
  });

  it('keeps constant and zero blocks exact', () => {
    for (const type of QUANT_TYPES) {
      const n = ggmlType(type).blockSize === 1 ? 32 : ggmlType(type).blockSize;
      expect(plain(dequantize(type, quantize(type, new Float32Array(n)), n))).toEqual(new Array(n).fill(0));
    }
    const q41 = dequantize('q4_1', quantize('q4_1', new Float32Array(32).fill(0.75)), 32);
    expect(Array.from(q41)).toEqual(new Array(32).fill(0.75));
  });
});
