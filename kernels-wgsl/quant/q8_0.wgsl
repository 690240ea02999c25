// block_q8_0 (ggml-common.h): { f16 d; int8 qs[32]; } = 34 bytes; y = d · qs[j].
const QK_BLOCK_VALUES: u32 = 32u;
const QK_BLOCK_BYTES: u32 = 34u;

fn w_octet(row_byte: u32, kk: u32) -> Octet {
  let base = row_byte + (kk >> 5u) * 34u;
  let d = wq_f16(base);
  let q = wq_u64_even(base + 2u + (kk & 31u));
  return Octet(d * vec4<f32>(sbytes4(q.x)), d * vec4<f32>(sbytes4(q.y)));
}

// Whole-block reads for kernels that walk k a block at a time (matmul/gemv): the 34 bytes
// are nine word loads and no branches, against twelve through w_octet.
const BLOCK_OCTETS: u32 = 4u;

struct WBlock {
  d: f32,
  lo: vec4<u32>,
  hi: vec4<u32>,
}

/** Block `b` of the row starting at byte `row_byte` (blocks start at even byte offsets). */
fn w_block(row_byte: u32, b: u32) -> WBlock {
  let base = row_byte + b * 34u;
  let w = base >> 2u;
  let a0 = wq[w];
  let a = vec4<u32>(wq[w + 1u], wq[w + 2u], wq[w + 3u], wq[w + 4u]);
  let c = vec4<u32>(wq[w + 5u], wq[w + 6u], wq[w + 7u], wq[w + 8u]);
  let odd = (base & 2u) != 0u; // d in a0's high half, qs word aligned from a1
  let sixteen = vec4<u32>(16u);
  let lo = (vec4<u32>(a0, a.xyz) >> sixteen) | (a << sixteen);
  let hi = (vec4<u32>(a.w, c.xyz) >> sixteen) | (c << sixteen);
  return WBlock(unpack2x16float(select(a0, a0 >> 16u, odd)).x, select(lo, a, odd), select(hi, c, odd));
}

/** Octet `s` (values 8s .. 8s+7) of a block. */
fn w_block_octet(blk: WBlock, s: u32) -> Octet {
  let half = select(blk.lo, blk.hi, s >= 2u);
  let pair = select(half.xy, half.zw, (s & 1u) == 1u);
  return Octet(blk.d * vec4<f32>(sbytes4(pair.x)), blk.d * vec4<f32>(sbytes4(pair.y)));
}
