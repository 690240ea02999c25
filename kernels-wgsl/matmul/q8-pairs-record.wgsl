// The record matmul/x-q8-pairs.wgsl writes and matmul/gemv-swar-q4_0.wgsl reads: 68 words per
// pair of activation blocks (layout in x-q8-pairs.wgsl). Prepended by the op to both.

const RECORD_WORDS: u32 = 68u;

/** A block's 8 activation pairs for one word layout: lo_i (hi_i) multiplies the low (high) nibbles of quant word i. */
struct Pairs {
  lo0: vec2<u32>,
  lo1: vec2<u32>,
  lo2: vec2<u32>,
  lo3: vec2<u32>,
  hi0: vec2<u32>,
  hi1: vec2<u32>,
  hi2: vec2<u32>,
  hi3: vec2<u32>,
}
