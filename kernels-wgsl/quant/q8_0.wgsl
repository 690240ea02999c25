// block_q8_0 (ggml-common.h): { f16 d; int8 qs[32]; } = 34 bytes; y = d · qs[j].
const QK_BLOCK_VALUES: u32 = 32u;
const QK_BLOCK_BYTES: u32 = 34u;

fn w_octet(row_byte: u32, kk: u32) -> Octet {
  let base = row_byte + (kk >> 5u) * 34u;
  let d = wq_f16(base);
  let q = wq_u64_even(base + 2u + (kk & 31u));
  return Octet(d * vec4<f32>(sbytes4(q.x)), d * vec4<f32>(sbytes4(q.y)));
}
