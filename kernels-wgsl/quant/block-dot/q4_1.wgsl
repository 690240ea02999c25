// `w_block_dot` for q4_1 weights (the type's WBlock from quant/q4_1.wgsl, XBlock from x-block32.wgsl):
// what matmul/gemv-rows.wgsl calls per weight row and block.

/** Σ of the block's values times `xs`: d · Σ q·x + m · Σ x. */
fn w_block_dot(blk: WBlock, xs: ptr<function, XBlock>) -> f32 {
  return blk.dm.x * nibble_block_dot(blk.q, xs) + blk.dm.y * (*xs).sum;
}
