// The loop every elementwise kernel runs over a span of floats: v128 steps while four floats
// remain, then single floats, with the instruction names for each width.
import type { FunctionBuilder, Local } from '../../encoder/index.ts';
import { emitExpF32, emitExpF32x4 } from '../math/exp.ts';

/** Instruction names and helpers for one step width (4: f32x4, 1: f32). */
export interface Width {
  /** Floats per step. */
  readonly n: 4 | 1;
  /** Load, store, arithmetic instruction names. */
  readonly load: string;
  readonly store: string;
  readonly add: string;
  readonly sub: string;
  readonly mul: string;
  readonly div: string;
  readonly max: string;
  /** Pushes the constant c at this width. */
  konst(b: FunctionBuilder, c: number): void;
  /** Pops x and pushes e^x at this width. */
  exp(b: FunctionBuilder): void;
  /** Pops an f32 and pushes it at this width (a splat for f32x4). */
  widen(b: FunctionBuilder): void;
}

/** The f32x4 width. */
export const VEC: Width = {
  n: 4,
  load: 'v128.load',
  store: 'v128.store',
  add: 'f32x4.add',
  sub: 'f32x4.sub',
  mul: 'f32x4.mul',
  div: 'f32x4.div',
  max: 'f32x4.max',
  konst: (b, c) => void b.splat('f32', c),
  exp: emitExpF32x4,
  widen: (b) => void b.op('f32x4.splat'),
};

/** The scalar f32 width. */
export const ONE: Width = {
  n: 1,
  load: 'f32.load',
  store: 'f32.store',
  add: 'f32.add',
  sub: 'f32.sub',
  mul: 'f32.mul',
  div: 'f32.div',
  max: 'f32.max',
  konst: (b, c) => void b.f32(c),
  exp: emitExpF32,
  widen: () => {},
};

/**
 * Loops `at` (a float index) over [start, end): body(VEC) for each four floats while four remain,
 * then body(ONE) for each float left. The body reads `at`; it must not change it.
 */
export function emitSpan(
  b: FunctionBuilder,
  at: Local,
  start: Local | number,
  end: Local | number,
  body: (w: Width) => void,
): void {
  const bound = () => (typeof end === 'number' ? b.i32(end) : b.get(end));
  if (typeof start === 'number') b.i32(start).set(at);
  else if (start !== at) b.get(start).set(at);
  for (const w of [VEC, ONE]) {
    b.block((exit) => {
      b.loop((again) => {
        b.get(at).i32(w.n).op('i32.add');
        bound();
        b.op('i32.gt_s').brIf(exit);
        body(w);
        b.get(at).i32(w.n).op('i32.add').set(at).br(again);
      });
    });
  }
}

/** Pushes base + 4·at (the byte address of float `at` of the array at byte offset `base`). */
export function emitAt(b: FunctionBuilder, base: Local, at: Local): void {
  b.get(base).get(at).i32(2).op('i32.shl').op('i32.add');
}
