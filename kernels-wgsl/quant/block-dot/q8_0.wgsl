// `w_block_dot` for q8_0 weights (the type's WBlock from quant/q8_0.wgsl, XBlock from x-block32.wgsl):
// what matmul/gemv-rows.wgsl calls per weight row and block.

/** Σ of the block's values times `xs`: d · Σ q·x. */
fn w_block_dot(blk: WBlock, xs: ptr<function, XBlock>) -> f32 {
  let lo = dot(vec4<f32>(sbytes4(blk.lo.x)), (*xs).v0) + dot(vec4<f32>(sbytes4(blk.lo.y)), (*xs).v1)
    + dot(vec4<f32>(sbytes4(blk.lo.z)), (*xs).v2) + dot(vec4<f32>(sbytes4(blk.lo.w)), (*xs).v3);
  let hi = dot(vec4<f32>(sbytes4(blk.hi.x)), (*xs).v4) + dot(vec4<f32>(sbytes4(blk.hi.y)), (*xs).v5)
    + dot(vec4<f32>(sbytes4(blk.hi.z)), (*xs).v6) + dot(vec4<f32>(sbytes4(blk.hi.w)), (*xs).v7);
  return blk.d * (lo + hi);
}
