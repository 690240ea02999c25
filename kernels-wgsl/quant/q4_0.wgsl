// block_q4_0 (ggml-common.h): { f16 d; u8 qs[16]; } = 18 bytes. Value j < 16 is the low nibble
// of qs[j], value j + 16 the high nibble; y = d · (q − 8) (dequantize_row_q4_0).
const QK_BLOCK_VALUES: u32 = 32u;
const QK_BLOCK_BYTES: u32 = 18u;

fn w_octet(row_byte: u32, kk: u32) -> Octet {
  let base = row_byte + (kk >> 5u) * 18u;
  let j = kk & 31u;
  let d = wq_f16(base);
  let q = wq_u64_even(base + 2u + (j & 15u)) >> vec2<u32>((j >> 4u) * 4u);
  return Octet(
    d * (vec4<f32>(bytes4(q.x & 0x0f0f0f0fu)) - 8.0),
    d * (vec4<f32>(bytes4(q.y & 0x0f0f0f0fu)) - 8.0),
  );
}
