// `x_block` / `w_block_dot` (see x-block32.wgsl) for types with no block-dot/<type>.wgsl:
// octet by octet through `w_block_octet`. Appended by the ops after the
// type's snippet (and octet-block.wgsl where the type has no `w_block` either).

struct XBlock {
  v: array<vec4<f32>, 2u * BLOCK_OCTETS>,
}

/** The activations of one weight block, from vec4 index `i` of the kernel's `x` binding. */
fn x_block(i: u32) -> XBlock {
  var xs: XBlock;
  for (var j = 0u; j < 2u * BLOCK_OCTETS; j++) {
    xs.v[j] = x[i + j];
  }
  return xs;
}

/** Σ of the block's dequantized values times the activations. */
fn w_block_dot(blk: WBlock, xs: ptr<function, XBlock>) -> f32 {
  var s = 0.0;
  for (var o = 0u; o < BLOCK_OCTETS; o++) {
    let w = w_block_octet(blk, o);
    s += dot(w.lo, (*xs).v[2u * o]) + dot(w.hi, (*xs).v[2u * o + 1u]);
  }
  return s;
}
