// f32 weights: 4 bytes per value, rows start on 32-byte boundaries (cols % 8 == 0).
fn w_octet(row_byte: u32, kk: u32) -> Octet {
  let w = (row_byte >> 2u) + kk;
  return Octet(
    bitcast<vec4<f32>>(vec4<u32>(wq[w], wq[w + 1u], wq[w + 2u], wq[w + 3u])),
    bitcast<vec4<f32>>(vec4<u32>(wq[w + 4u], wq[w + 5u], wq[w + 6u], wq[w + 7u])),
  );
}
