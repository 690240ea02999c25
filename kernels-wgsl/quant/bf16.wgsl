// bf16 weights: the top 16 bits of an f32; two values per word (low half first).
fn bf16x2(w: u32) -> vec2<f32> {
  return bitcast<vec2<f32>>(vec2<u32>(w << 16u, w & 0xffff0000u));
}

fn w_octet(row_byte: u32, kk: u32) -> Octet {
  let w = (row_byte >> 2u) + (kk >> 1u);
  return Octet(
    vec4<f32>(bf16x2(wq[w]), bf16x2(wq[w + 1u])),
    vec4<f32>(bf16x2(wq[w + 2u]), bf16x2(wq[w + 3u])),
  );
}
