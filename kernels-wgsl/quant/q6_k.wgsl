// block_q6_K (ggml-common.h): { u8 ql[128]; u8 qh[64]; int8 scales[16]; f16 d; } = 210 bytes
// (not word aligned). In 128-value half n, value l + 32·t (t = 0..3) takes its low nibble from
// ql[64n + 32·(t & 1) + l] (low nibble for t < 2, high for t ≥ 2), its top two bits from
// qh[32n + l] at shift 2t, and scale scales[8n + 2t + l / 16]; y = d · sc · (q − 32)
// (dequantize_row_q6_K).
const QK_BLOCK_VALUES: u32 = 256u;
const QK_BLOCK_BYTES: u32 = 210u;

fn w_octet(row_byte: u32, kk: u32) -> Octet {
  let base = row_byte + (kk >> 8u) * 210u;
  let j = kk & 255u;
  let n = j >> 7u;
  let t = (j >> 5u) & 3u;
  let l = j & 31u;
  let lo = (wq_u64_even(base + 64u * n + 32u * (t & 1u) + l) >> vec2<u32>((t >> 1u) * 4u)) & vec2<u32>(0x0f0f0f0fu);
  let hi = ((wq_u64_even(base + 128u + 32u * n + l) >> vec2<u32>(2u * t)) & vec2<u32>(0x03030303u)) << vec2<u32>(4u);
  let sc_byte = wq_u8(base + 192u + 8u * n + 2u * t + (l >> 4u));
  let sc = f32(bitcast<i32>(sc_byte << 24u) >> 24u);
  let d = wq_f16(base + 208u) * sc;
  let q = lo | hi;
  return Octet(d * (vec4<f32>(bytes4(q.x)) - 32.0), d * (vec4<f32>(bytes4(q.y)) - 32.0));
}
