// GEMV for q4_0 weights and one activation row on CPU adapters whose activations are rounded to
// 8 bits (KernelContext.q8Activations): y[n] = Σ_b d_w[n, b] · d_x[b] · Σ_j (q_w − 8) · q_x, the
// sum llama.cpp's CPU path computes (ggml_vec_dot_q4_0_q8_0). The op runs it for ROWS
// candidates at m = 1 in place of gemv-rows.wgsl, with the same rows per invocation (RPT 4, 8,
// 16 through the G2 / G4 defines) and the same straight-line shape.
//
// Two multiply-adds per 32-bit integer multiply (SWAR): a weight word masked with 0x000f000f
// holds two nibbles a0, a1 in its 16-bit lanes; times the activation pair packed as
// P = q1 + q0 · 2^16 it gives a0·q1 + (a0·q0 + a1·q1) · 2^16 (mod 2^32; a1·q0 lands at 2^32).
// Over a block the upper lane sums the 32 products and the lower one 16 cross terms. Starting
// from −8 · Σq · 2^16 (the q4_0 offset) the upper sum is |Σ (q_w − 8) · q_x| ≤ 32 · 8 · 127 <
// 2^15 and the lower |Σ| ≤ 16 · 15 · 127 < 2^15, so both come back exactly from the wrapped
// 32-bit total (`upper_lane`). On SwiftShader this runs the decode shapes about 1.5× faster than
// gemv-rows.wgsl: a quarter of the multiplies, no int → float conversion per value.
//
// A q4_0 block is 18 bytes (f16 d, 16 quant bytes), so blocks start on a word or two bytes into
// one. Those two cases read their quant bytes in different word layouts (`dot_on_word`,
// `dot_mid_word`), each with its own activation pairing (`pairs_on_word`, `pairs_mid_word` in
// matmul/x-q8-pairs.wgsl), and which one a block has is fixed by the code, not tested per block: rows start on a word
// when k has an even number of blocks (then block b does iff b is even), and when it is odd
// (ODD_BLOCKS) rows alternate, the first of each group of 4 starting on a word.
//
// The activations come rounded and paired, one record per block pair, from x-q8-pairs.wgsl
// (binding xp, in place of x): the rounding in every invocation took a third of the kernel's
// time on SwiftShader. The grid holds m blocks of groups_n workgroups as gemv-rows.wgsl's
// does; TPR = 1.

override WG: u32 = 4;

#if G4
const ROWS_PER_INVOCATION: u32 = 16u;
#else
#if G2
const ROWS_PER_INVOCATION: u32 = 8u;
#else
const ROWS_PER_INVOCATION: u32 = 4u;
#endif
#endif

// Params p and the bindings wq, xp, y, bias: matmul/bindings.wgsl (X_PAIRS); group_row_bytes and
// store_row: matmul/row-groups.wgsl; RECORD_WORDS and Pairs: matmul/q8-pairs-record.wgsl.

/** Two consecutive activation blocks (b even, b + 1) with the pairings their weight blocks need. */
struct BlockPair {
  // The offset term −8 · Σq · 2^16 of each block, and its scale.
  c0: u32,
  c1: u32,
  d0: f32,
  d1: f32,
  // Block b starts on a word in rows that start on one, block b + 1 two bytes in.
  p0_on: Pairs,
  p1_mid: Pairs,
#if ODD_BLOCKS
  // And the other way round in rows that start two bytes into a word.
  p0_mid: Pairs,
  p1_on: Pairs,
#endif
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let wg_all = wid.x + wid.y * p.groups_x;
  let r = wg_all / p.groups_n; // activation row (< m: the grid holds m blocks of groups_n)
  let row0 = ((wg_all % p.groups_n) * WG + t) * ROWS_PER_INVOCATION;
  let blocks = p.k / 32u;
  // This row's records in xp (matmul/x-q8-pairs.wgsl).
  let x0 = r * ((blocks + 1u) / 2u) * RECORD_WORDS;
  let rb0 = group_row_bytes(row0);
  var acc0 = vec4<f32>();
#if G2
  let rb1 = group_row_bytes(row0 + 4u);
  var acc1 = vec4<f32>();
#endif
#if G4
  let rb2 = group_row_bytes(row0 + 8u);
  let rb3 = group_row_bytes(row0 + 12u);
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
#endif
  for (var b = 0u; b + 1u < blocks; b += 2u) {
    var bp = block_pair(x0 + (b / 2u) * RECORD_WORDS);
    let o = b * 18u;
    acc0 += group_pair(rb0 + vec4<u32>(o), &bp);
#if G2
    acc1 += group_pair(rb1 + vec4<u32>(o), &bp);
#endif
#if G4
    acc2 += group_pair(rb2 + vec4<u32>(o), &bp);
    acc3 += group_pair(rb3 + vec4<u32>(o), &bp);
#endif
  }
#if ODD_BLOCKS
  // The last block (b = blocks − 1, even): on a word in rows 0 and 2 of each group, mid-word in 1 and 3.
  let bl = blocks - 1u;
  var last = block_pair(x0 + (bl / 2u) * RECORD_WORDS);
  let ol = vec4<u32>(bl * 18u);
  acc0 += group_last(rb0 + ol, &last);
#if G2
  acc1 += group_last(rb1 + ol, &last);
#endif
#if G4
  acc2 += group_last(rb2 + ol, &last);
  acc3 += group_last(rb3 + ol, &last);
#endif
#endif
  store_row(r, row0, acc0);
#if G2
  store_row(r, row0 + 4u, acc1);
#endif
#if G4
  store_row(r, row0 + 8u, acc2);
  store_row(r, row0 + 12u, acc3);
#endif
}

/** The record at word `i` of xp (matmul/x-q8-pairs.wgsl). */
fn block_pair(i: u32) -> BlockPair {
  return BlockPair(
    xp[i + 64u],
    xp[i + 65u],
    bitcast<f32>(xp[i + 66u]),
    bitcast<f32>(xp[i + 67u]),
    pairs_at(i),
    pairs_at(i + 16u),
#if ODD_BLOCKS
    pairs_at(i + 32u),
    pairs_at(i + 48u),
#endif
  );
}

/** The 16 words of pairs at word i. */
fn pairs_at(i: u32) -> Pairs {
  return Pairs(
    vec2<u32>(xp[i], xp[i + 1u]),
    vec2<u32>(xp[i + 2u], xp[i + 3u]),
    vec2<u32>(xp[i + 4u], xp[i + 5u]),
    vec2<u32>(xp[i + 6u], xp[i + 7u]),
    vec2<u32>(xp[i + 8u], xp[i + 9u]),
    vec2<u32>(xp[i + 10u], xp[i + 11u]),
    vec2<u32>(xp[i + 12u], xp[i + 13u]),
    vec2<u32>(xp[i + 14u], xp[i + 15u]),
  );
}

/** Blocks b, b + 1 of four weight rows at byte offsets `rb` (of block b), dotted with the activations. */
fn group_pair(rb: vec4<u32>, bp: ptr<function, BlockPair>) -> vec4<f32> {
#if ODD_BLOCKS
  return vec4<f32>(pair_on_mid(rb.x, bp), pair_mid_on(rb.y, bp), pair_on_mid(rb.z, bp), pair_mid_on(rb.w, bp));
#else
  return vec4<f32>(pair_on_mid(rb.x, bp), pair_on_mid(rb.y, bp), pair_on_mid(rb.z, bp), pair_on_mid(rb.w, bp));
#endif
}

/** Block b on a word at byte `base`, block b + 1 two bytes into the word where b ends: 9 words, the fifth shared. */
fn pair_on_mid(base: u32, bp: ptr<function, BlockPair>) -> f32 {
  let w = base >> 2u;
  let joint = wq[w + 4u]; // block b's last two quant bytes, block b + 1's scale
  return dot_on_word(w, joint, (*bp).c0, &(*bp).p0_on, (*bp).d0) + dot_mid_word(w + 4u, joint, (*bp).c1, &(*bp).p1_mid, (*bp).d1);
}

#if ODD_BLOCKS
/** Block b two bytes into a word at byte `base`, block b + 1 on the word after the one b ends in. */
fn pair_mid_on(base: u32, bp: ptr<function, BlockPair>) -> f32 {
  let w = base >> 2u;
  return dot_mid_word(w, wq[w], (*bp).c0, &(*bp).p0_mid, (*bp).d0) + dot_on_word(w + 5u, wq[w + 9u], (*bp).c1, &(*bp).p1_on, (*bp).d1);
}
#endif

#if ODD_BLOCKS
/** The last block of four weight rows (ODD_BLOCKS: rows 0, 2 start on a word, rows 1, 3 two bytes in); its record's first block. */
fn group_last(rb: vec4<u32>, bp: ptr<function, BlockPair>) -> vec4<f32> {
  let c = (*bp).c0;
  let d = (*bp).d0;
  let w = rb >> vec4<u32>(2u);
  return vec4<f32>(
    dot_on_word(w.x, wq[w.x + 4u], c, &(*bp).p0_on, d),
    dot_mid_word(w.y, wq[w.y], c, &(*bp).p0_mid, d),
    dot_on_word(w.z, wq[w.z + 4u], c, &(*bp).p0_on, d),
    dot_mid_word(w.w, wq[w.w], c, &(*bp).p0_mid, d),
  );
}
#endif

/** The four nibble pairs of a quant word times their activation pairs, summed (wrapping). */
fn word_dot(w: u32, lo: vec2<u32>, hi: vec2<u32>) -> u32 {
  let m = 0x000f000fu;
  return ((w & m) * lo.x + ((w >> 4u) & m) * hi.x) + (((w >> 8u) & m) * lo.y + ((w >> 12u) & m) * hi.y);
}

/** The upper 16-bit lane of a wrapped total whose lanes both lie in −2^15 .. 2^15, as f32. */
fn upper_lane(a: u32) -> f32 {
  let lower = (bitcast<i32>(a) << 16u) >> 16u;
  return f32((bitcast<i32>(a) - lower) >> 16u);
}

/**
 * The block starting on word `w` of `wq`: words [d, q0 q1], [q2..q5], [q6..q9], [q10..q13],
 * [q14 q15, …]; the caller passes the fifth, `last`.
 */
fn dot_on_word(w: u32, last: u32, c: u32, pr: ptr<function, Pairs>, dx: f32) -> f32 {
  let a0 = wq[w];
  let first = (a0 >> 16u) | (last << 16u);
  let s = (c + (word_dot(first, (*pr).lo0, (*pr).hi0) + word_dot(wq[w + 1u], (*pr).lo1, (*pr).hi1))) + (word_dot(wq[w + 2u], (*pr).lo2, (*pr).hi2) + word_dot(wq[w + 3u], (*pr).lo3, (*pr).hi3));
  return upper_lane(s) * (unpack2x16float(a0).x * dx);
}

/**
 * The block starting two bytes into word `w` of `wq`: words […, d], [q0..q3], [q4..q7],
 * [q8..q11], [q12..q15]; the caller passes the first, `head`.
 */
fn dot_mid_word(w: u32, head: u32, c: u32, pr: ptr<function, Pairs>, dx: f32) -> f32 {
  let s = (c + (word_dot(wq[w + 1u], (*pr).lo0, (*pr).hi0) + word_dot(wq[w + 2u], (*pr).lo1, (*pr).hi1))) + (word_dot(wq[w + 3u], (*pr).lo2, (*pr).hi2) + word_dot(wq[w + 4u], (*pr).lo3, (*pr).hi3));
  return upper_lane(s) * (unpack2x16float(head >> 16u).x * dx);
}
