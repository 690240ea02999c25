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

// Whole-block reads for kernels that walk k a block at a time (matmul/gemv): the 18 bytes
// are five word loads and no branches, against four per octet through w_octet.
const BLOCK_OCTETS: u32 = 4u;

struct WBlock {
  d: f32,
  q: vec4<u32>,
}

/** Block `b` of the row starting at byte `row_byte` (blocks start at even byte offsets). */
fn w_block(row_byte: u32, b: u32) -> WBlock {
  let base = row_byte + b * 18u;
  let w = base >> 2u;
  let a0 = wq[w];
  let a = vec4<u32>(wq[w + 1u], wq[w + 2u], wq[w + 3u], wq[w + 4u]);
  let odd = (base & 2u) != 0u; // d in a0's high half, qs word aligned from a1
  let shifted = (vec4<u32>(a0, a.xyz) >> vec4<u32>(16u)) | (a << vec4<u32>(16u));
  return WBlock(unpack2x16float(select(a0, a0 >> 16u, odd)).x, select(shifted, a, odd));
}

/** Octet `s` (values 8s .. 8s+7) of a block: octets 0, 1 are low nibbles, 2, 3 high ones. */
fn w_block_octet(blk: WBlock, s: u32) -> Octet {
  let pair = select(blk.q.xy, blk.q.zw, (s & 1u) == 1u);
  let v = (pair >> vec2<u32>((s >> 1u) * 4u)) & vec2<u32>(0x0f0f0f0fu);
  return Octet(blk.d * (vec4<f32>(bytes4(v.x)) - 8.0), blk.d * (vec4<f32>(bytes4(v.y)) - 8.0));
}
