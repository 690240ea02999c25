// f16 weights (IEEE binary16, little-endian): two values per word; unpack2x16float needs no
// shader-f16 feature.
fn w_octet(row_byte: u32, kk: u32) -> Octet {
  let w = (row_byte >> 2u) + (kk >> 1u);
  return Octet(
    vec4<f32>(unpack2x16float(wq[w]), unpack2x16float(wq[w + 1u])),
    vec4<f32>(unpack2x16float(wq[w + 2u]), unpack2x16float(wq[w + 3u])),
  );
}
