// f32x4 lane shuffles and the horizontal sum, as the i8x16.shuffle byte indices they need.
import type { FunctionBuilder, Local } from '../../encoder/index.ts';

/** i8x16.shuffle byte indices selecting four 32-bit lanes (0–3 from the first operand, 4–7 the second). */
export function laneBytes(l0: number, l1: number, l2: number, l3: number): number[] {
  return [l0, l1, l2, l3].flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
}

const reduceTemp = new WeakMap<FunctionBuilder, Local>();

/** Pops an f32x4 and pushes the f32 reduction of its lanes by `op` ((l0 ∘ l2) ∘ (l1 ∘ l3)). */
export function emitHorizontal(b: FunctionBuilder, op: 'f32x4.add' | 'f32x4.max'): void {
  let t = reduceTemp.get(b);
  if (!t) {
    t = b.local('v128', 'hred');
    reduceTemp.set(b, t);
  }
  b.tee(t)
    .get(t)
    .get(t)
    .op('i8x16.shuffle', ...laneBytes(2, 3, 0, 1))
    .op(op);
  b.tee(t)
    .get(t)
    .get(t)
    .op('i8x16.shuffle', ...laneBytes(1, 0, 3, 2))
    .op(op);
  b.op('f32x4.extract_lane', 0);
}

/** Pops an f32x4 and pushes the f32 sum of its lanes ((l0 + l2) + (l1 + l3)). */
export function emitHorizontalSum(b: FunctionBuilder): void {
  emitHorizontal(b, 'f32x4.add');
}
