// block_q5_0 (ggml-common.h): { f16 d; u8 qh[4]; u8 qs[16]; } = 22 bytes. Low nibbles as q4_0;
// the fifth bit of value j (0..31) is bit j of the little-endian u32 qh; y = d · (q − 16)
// (dequantize_row_q5_0).
const QK_BLOCK_VALUES: u32 = 32u;
const QK_BLOCK_BYTES: u32 = 22u;

fn w_octet(row_byte: u32, kk: u32) -> Octet {
  let base = row_byte + (kk >> 5u) * 22u;
  let j = kk & 31u;
  let d = wq_f16(base);
  let qh = (wq_u32_even(base + 2u) >> j) & 0xffu; // fifth bits of values j .. j+7
  let q = (wq_u64_even(base + 6u + (j & 15u)) >> vec2<u32>((j >> 4u) * 4u)) & vec2<u32>(0x0f0f0f0fu);
  // Spread 4 bits into bit 4 of each byte: bit i → bit 8i + 4.
  let h0 = qh & 0xfu;
  let h1 = qh >> 4u;
  let spread = vec2<u32>(
    ((h0 & 1u) | ((h0 & 2u) << 7u) | ((h0 & 4u) << 14u) | ((h0 & 8u) << 21u)) << 4u,
    ((h1 & 1u) | ((h1 & 2u) << 7u) | ((h1 & 4u) << 14u) | ((h1 & 8u) << 21u)) << 4u,
  );
  let v = q | spread;
  return Octet(d * (vec4<f32>(bytes4(v.x)) - 16.0), d * (vec4<f32>(bytes4(v.y)) - 16.0));
}
