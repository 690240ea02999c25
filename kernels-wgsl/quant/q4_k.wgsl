// block_q4_K (ggml-common.h): { f16 d; f16 dmin; u8 scales[12]; u8 qs[128]; } = 144 bytes
// (word aligned). 8 sub-blocks of 32 values with 6-bit scale and min packed as in
// get_scale_min_k4; 64-value chunk c uses qs[32c ..]: low nibbles for sub-block 2c, high for
// 2c+1; y = d · sc · q − dmin · m (dequantize_row_q4_K).
const QK_BLOCK_VALUES: u32 = 256u;
const QK_BLOCK_BYTES: u32 = 144u;

/** Scale and min (6 bits each) of sub-block s from the 12 scale bytes (words w0, w1, w2). */
fn k4_scale_min(sw: vec3<u32>, s: u32) -> vec2<f32> {
  // byte i of the 12: (sw[i / 4] >> 8·(i % 4)) & 0xff
  let sj = s & 3u;
  let b_j = (sw[s >> 2u] >> (sj * 8u)) & 0xffu; // byte s
  let b_j4 = (sw[(s >> 2u) + 1u] >> (sj * 8u)) & 0xffu; // byte s + 4
  if (s < 4u) {
    return vec2<f32>(f32(b_j & 63u), f32(b_j4 & 63u));
  }
  let b_jm4 = (sw[0] >> (sj * 8u)) & 0xffu; // byte s − 4
  return vec2<f32>(f32((b_j4 & 0xfu) | ((b_jm4 >> 6u) << 4u)), f32((b_j4 >> 4u) | ((b_j >> 6u) << 4u)));
}

fn w_octet(row_byte: u32, kk: u32) -> Octet {
  let w = (row_byte + (kk >> 8u) * 144u) >> 2u;
  let j = kk & 255u;
  let s = j >> 5u;
  let dd = unpack2x16float(wq[w]);
  let sm = k4_scale_min(vec3<u32>(wq[w + 1u], wq[w + 2u], wq[w + 3u]), s);
  let scale = dd.x * sm.x;
  let mn = dd.y * sm.y;
  let o = w + 4u + (s >> 1u) * 8u + ((j & 31u) >> 2u);
  let q = (vec2<u32>(wq[o], wq[o + 1u]) >> vec2<u32>((s & 1u) * 4u)) & vec2<u32>(0x0f0f0f0fu);
  return Octet(scale * vec4<f32>(bytes4(q.x)) - mn, scale * vec4<f32>(bytes4(q.y)) - mn);
}
