// The block reads of quant/<type>.wgsl for types that define only w_octet (floats, q5_0, the
// K-quants): a "block" is one octet. Appended after the type's snippet by the ops when the
// type has no `fn w_block` of its own.
const BLOCK_OCTETS: u32 = 1u;

alias WBlock = Octet;

fn w_block(row_byte: u32, b: u32) -> WBlock {
  return w_octet(row_byte, b * 8u);
}

fn w_block_octet(blk: WBlock, s: u32) -> Octet {
  return blk;
}
