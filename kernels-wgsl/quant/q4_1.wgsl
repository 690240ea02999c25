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

// Whole-block reads for kernels that walk k a block at a time (matmul/gemv): five aligned
// word loads per block.
const BLOCK_OCTETS: u32 = 4u;

struct WBlock {
  dm: vec2<f32>,
  q: vec4<u32>,
}

/** Block `b` of the row starting at byte `row_byte` (blocks are word aligned). */
fn w_block(row_byte: u32, b: u32) -> WBlock {
  let w = (row_byte + b * 20u) >> 2u;
  return WBlock(unpack2x16float(wq[w]), vec4<u32>(wq[w + 1u], wq[w + 2u], wq[w + 3u], wq[w + 4u]));
}

/** Octet `s` (values 8s .. 8s+7) of a block: octets 0, 1 are low nibbles, 2, 3 high ones. */
fn w_block_octet(blk: WBlock, s: u32) -> Octet {
  let pair = select(blk.q.xy, blk.q.zw, (s & 1u) == 1u);
  let v = (pair >> vec2<u32>((s >> 1u) * 4u)) & vec2<u32>(0x0f0f0f0fu);
  return Octet(blk.dm.x * vec4<f32>(bytes4(v.x)) + blk.dm.y, blk.dm.x * vec4<f32>(bytes4(v.y)) + blk.dm.y);
}
