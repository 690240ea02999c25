// block_q4_1 (ggml-common.h): { f16 d; f16 m; u8 qs[16]; } = 20 bytes (word aligned).
// Nibbles as q4_0; y = d · q + m (dequantize_row_q4_1).
const QK_BLOCK_VALUES: u32 = 32u;
const QK_BLOCK_BYTES: u32 = 20u;

fn w_octet(row_byte: u32, kk: u32) -> Octet {
  let w = (row_byte + (kk >> 5u) * 20u) >> 2u;
  let j = kk & 31u;
  let dm = unpack2x16float(wq[w]);
  let o = w + 1u + ((j & 15u) >> 2u);
  let q = vec2<u32>(wq[o], wq[o + 1u]) >> vec2<u32>((j >> 4u) * 4u);
  return Octet(
    dm.x * vec4<f32>(bytes4(q.x & 0x0f0f0f0fu)) + dm.y,
    dm.x * vec4<f32>(bytes4(q.y & 0x0f0f0f0fu)) + dm.y,
  );
}
