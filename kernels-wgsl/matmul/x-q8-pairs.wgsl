// x rounded to 8 bits per block of 32 (quant/q8-activations.wgsl) and packed as the activation
// pairs matmul/gemv-swar-q4_0.wgsl multiplies weight words by, once per activation row, instead
// of in every invocation of the GEMV (where the rounding took a third of its time on SwiftShader).
// One invocation per pair of blocks (b = 2i, 2i + 1) of one row writes a 68-word record:
//
//   words  0–15  block b's pairs for a block that starts on a word     (Pairs order, below)
//   words 16–31  block b + 1's pairs for a block two bytes into a word
//   words 32–47  block b's mid-word pairs      } read only by ODD_BLOCKS kernels, whose rows
//   words 48–63  block b + 1's on-word pairs   } alternate between the two alignments
//   words 64–67  c_b, c_{b+1} (the q4_0 offset terms), d_b, d_{b+1} (f32 bits)
//
// A row with an odd block count ends with a record for its last block alone (block b + 1's
// words zero). Pairs order: lo0.x, lo0.y, lo1.x, …, lo3.y, hi0.x, …, hi3.y, where lo_i (hi_i)
// multiplies the low (high) nibbles of the block's quant word i. RECORD_WORDS and Pairs:
// matmul/q8-pairs-record.wgsl; Q8Block and x_q8: quant/q8-activations.wgsl.

struct PairParams {
  // 32-value blocks per row of x
  blocks: u32,
  // activation rows
  rows: u32,
  // workgroups along x of the dispatch grid
  groups_x: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: PairParams;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> xp: array<u32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let per_row = (p.blocks + 1u) / 2u;
  let i = (wid.x + wid.y * p.groups_x) * WG + t;
  if (i >= per_row * p.rows) {
    return;
  }
  let row = i / per_row;
  let b = (i % per_row) * 2u;
  let out = i * RECORD_WORDS;
  var x0 = x_q8((row * p.blocks + b) * 8u);
  write_pairs(out, pairs_on_word(&x0));
  write_pairs(out + 32u, pairs_mid_word(&x0));
  xp[out + 64u] = offset_term(&x0);
  xp[out + 66u] = bitcast<u32>(x0.d);
  if (b + 1u < p.blocks) {
    var x1 = x_q8((row * p.blocks + b + 1u) * 8u);
    write_pairs(out + 16u, pairs_mid_word(&x1));
    write_pairs(out + 48u, pairs_on_word(&x1));
    xp[out + 65u] = offset_term(&x1);
    xp[out + 67u] = bitcast<u32>(x1.d);
  } else {
    for (var j = 0u; j < 16u; j++) {
      xp[out + 16u + j] = 0u;
      xp[out + 48u + j] = 0u;
    }
    xp[out + 65u] = 0u;
    xp[out + 67u] = 0u;
  }
}

fn write_pairs(at: u32, s: Pairs) {
  xp[at] = s.lo0.x;
  xp[at + 1u] = s.lo0.y;
  xp[at + 2u] = s.lo1.x;
  xp[at + 3u] = s.lo1.y;
  xp[at + 4u] = s.lo2.x;
  xp[at + 5u] = s.lo2.y;
  xp[at + 6u] = s.lo3.x;
  xp[at + 7u] = s.lo3.y;
  xp[at + 8u] = s.hi0.x;
  xp[at + 9u] = s.hi0.y;
  xp[at + 10u] = s.hi1.x;
  xp[at + 11u] = s.hi1.y;
  xp[at + 12u] = s.hi2.x;
  xp[at + 13u] = s.hi2.y;
  xp[at + 14u] = s.hi3.x;
  xp[at + 15u] = s.hi3.y;
}

/** −8 · Σq · 2^16 (mod 2^32): the q4_0 offset, which every weight of the block carries. */
fn offset_term(xs: ptr<function, Q8Block>) -> u32 {
  let s = (((*xs).q0 + (*xs).q1) + ((*xs).q2 + (*xs).q3)) + (((*xs).q4 + (*xs).q5) + ((*xs).q6 + (*xs).q7));
  return bitcast<u32>(-8 * i32((s.x + s.y) + (s.z + s.w))) << 16u;
}

/** Pairs (q1, q0) packed as q1 + q0 · 2^16, per lane. */
fn pack(q1: vec2<f32>, q0: vec2<f32>) -> vec2<u32> {
  return bitcast<vec2<u32>>(vec2<i32>(q1)) + (bitcast<vec2<u32>>(vec2<i32>(q0)) << vec2<u32>(16u));
}

/**
 * Pairing for a block two bytes into a word: its quant words are bytes 4i .. 4i + 3, so mask
 * shift 0 (8) pairs values 4i, 4i + 2 (4i + 1, 4i + 3) and shift 4 (12) the same + 16.
 */
fn pairs_mid_word(xs: ptr<function, Q8Block>) -> Pairs {
  return Pairs(
    pack((*xs).q0.zw, (*xs).q0.xy),
    pack((*xs).q1.zw, (*xs).q1.xy),
    pack((*xs).q2.zw, (*xs).q2.xy),
    pack((*xs).q3.zw, (*xs).q3.xy),
    pack((*xs).q4.zw, (*xs).q4.xy),
    pack((*xs).q5.zw, (*xs).q5.xy),
    pack((*xs).q6.zw, (*xs).q6.xy),
    pack((*xs).q7.zw, (*xs).q7.xy),
  );
}

/**
 * Pairing for a block on a word: its quant words are bytes [0, 1, 14, 15] (assembled from the
 * first and fifth words), [2..5], [6..9], [10..13], so the pairs are (0, 14), (1, 15), then
 * (4i − 2, 4i) and (4i − 1, 4i + 1); + 16 for the high nibbles.
 */
fn pairs_on_word(xs: ptr<function, Q8Block>) -> Pairs {
  return Pairs(
    pack((*xs).q3.zw, (*xs).q0.xy),
    pack((*xs).q1.xy, (*xs).q0.zw),
    pack((*xs).q2.xy, (*xs).q1.zw),
    pack((*xs).q3.xy, (*xs).q2.zw),
    pack((*xs).q7.zw, (*xs).q4.xy),
    pack((*xs).q5.xy, (*xs).q4.zw),
    pack((*xs).q6.xy, (*xs).q5.zw),
    pack((*xs).q7.xy, (*xs).q6.zw),
  );
}
