// Work units of the row-wise elementwise kernels: (row, block of BLOCK columns), so that a single
// decode row of a wide layer still spreads over every thread.
import type { FunctionBuilder, Local } from '../../encoder/index.ts';

/** Floats per column block (a multiple of 4). */
export const BLOCK = 256;

/** Blocks per row of `width` floats. */
export function blocksOf(width: number): number {
  return Math.ceil(width / BLOCK);
}

/** From unit u, sets row = u / blocks, first = (u % blocks)·BLOCK, last = min(first + BLOCK, width). */
export function emitColumnBlock(
  b: FunctionBuilder,
  u: Local,
  width: number,
  row: Local,
  first: Local,
  last: Local,
): void {
  const blocks = blocksOf(width);
  b.get(u).i32(blocks).op('i32.div_u').set(row);
  b.get(u).i32(blocks).op('i32.rem_u').i32(BLOCK).op('i32.mul').tee(first);
  b.i32(BLOCK).op('i32.add').tee(last);
  b.i32(width).get(last).i32(width).op('i32.lt_s').select().set(last);
}
