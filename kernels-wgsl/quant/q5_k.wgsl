// block_q5_K (ggml-common.h): { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]; } =
// 176 bytes (word aligned). As q4_K, plus the fifth bit of value l of sub-block s in bit s of
// qh[l]; y = d · sc · q − dmin · m (dequantize_row_q5_K).
const QK_BLOCK_VALUES: u32 = 256u;
const QK_BLOCK_BYTES: u32 = 176u;

/** Scale and min (6 bits each) of sub-block s from the 12 scale bytes (get_scale_min_k4). */
fn k4_scale_min(sw: vec3<u32>, s: u32) -> vec2<f32> {
  let sj = s & 3u;
  let b_j = (sw[s >> 2u] >> (sj * 8u)) & 0xffu;
  let b_j4 = (sw[(s >> 2u) + 1u] >> (sj * 8u)) & 0xffu;
  if (s < 4u) {
    return vec2<f32>(f32(b_j & 63u), f32(b_j4 & 63u));
  }
  let b_jm4 = (sw[0] >> (sj * 8u)) & 0xffu;
  return vec2<f32>(f32((b_j4 & 0xfu) | ((b_jm4 >> 6u) << 4u)), f32((b_j4 >> 4u) | ((b_j >> 6u) << 4u)));
}

fn w_octet(row_byte: u32, kk: u32) -> Octet {
  let w = (row_byte + (kk >> 8u) * 176u) >> 2u;
  let j = kk & 255u;
  let s = j >> 5u;
  let l = (j & 31u) >> 2u; // word index of value l within a 32-byte run
  let dd = unpack2x16float(wq[w]);
  let sm = k4_scale_min(vec3<u32>(wq[w + 1u], wq[w + 2u], wq[w + 3u]), s);
  let scale = dd.x * sm.x;
  let mn = dd.y * sm.y;
  let oh = w + 4u + l;
  let h = ((vec2<u32>(wq[oh], wq[oh + 1u]) >> vec2<u32>(s)) & vec2<u32>(0x01010101u)) << vec2<u32>(4u);
  let o = w + 12u + (s >> 1u) * 8u + l;
  let q = ((vec2<u32>(wq[o], wq[o + 1u]) >> vec2<u32>((s & 1u) * 4u)) & vec2<u32>(0x0f0f0f0fu)) | h;
  return Octet(scale * vec4<f32>(bytes4(q.x)) - mn, scale * vec4<f32>(bytes4(q.y)) - mn);
}
