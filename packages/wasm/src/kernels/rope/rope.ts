// Rotary position embedding (RoFormer, Su et al. 2021), in place on the q and k heads of each
// row at the row's position, with the angles read from a table (rope-table.ts). Styles as in
// llama.cpp: `norm` rotates adjacent pairs (2i, 2i+1) (llama), `neox` pairs (i, i + ropeDims/2)
// (qwen2, qwen3, gpt-neox); dimensions from ropeDims to headDim are left as they are.
import type { FunctionBuilder, Local, ModuleBuilder } from '../../encoder/index.ts';
import type { KernelExport } from '../math/kernel-export.ts';
import { kernelParams, paramsByName } from '../math/kernel-params.ts';
import { laneBytes } from '../math/lanes.ts';
import { emitShare } from '../thread-share.ts';

/** Shape constants of a RoPE kernel. */
export interface RopeSpec {
  /** q heads per row. */
  nHeads: number;
  /** k heads per row. */
  nKvHeads: number;
  /** Floats per head (even). */
  headDim: number;
  /** Rotated dimensions per head (even, ≤ headDim); the table has ropeDims/2 pairs per position. */
  ropeDims: number;
  /** Pairing of the rotated dimensions. */
  style: 'norm' | 'neox';
  /** Export name (default `rope_<style>_<nHeads>_<nKvHeads>_<headDim>_<ropeDims>`). */
  name?: string;
}

/**
 * Emits `name(q, k, ldq, ldk, rowInfo, table, rows, thread, threads)`: rotates in place, for each
 * row r < rows at position p = rowInfo[2r + 1] (u32 pairs (slot, position)), the nHeads heads at
 * q + 4·r·ldq and the nKvHeads heads at k + 4·r·ldk (byte offsets; strides in floats, so q and k
 * may be slices of one fused qkv row), with (cos, sin) from table f32 [positions][ropeDims/2][2]
 * (the caller keeps positions inside the table). Split over threads by (row, head).
 */
export function emitRope(mod: ModuleBuilder, spec: RopeSpec): KernelExport {
  const { nHeads, nKvHeads, headDim, ropeDims, style } = spec;
  if (headDim % 2 || ropeDims % 2 || ropeDims > headDim || ropeDims <= 0) {
    throw new RangeError(`rope: head dim ${headDim}, rope dims ${ropeDims}`);
  }
  const name = spec.name ?? `rope_${style}_${nHeads}_${nKvHeads}_${headDim}_${ropeDims}`;
  const args = ['q', 'k', 'ldq', 'ldk', 'rowInfo', 'table', 'rows'] as const;
  const heads = nHeads + nKvHeads;
  const half = ropeDims / 2;
  mod.func(name, kernelParams(args), [], (b) => {
    const { q, k, ldq, ldk, rowInfo, table, rows, thread, threads } = paramsByName(b, args);
    const u = b.local('i32', 'u');
    const end = b.local('i32', 'end');
    const units = b.local('i32', 'units');
    const r = b.local('i32', 'r');
    const hh = b.local('i32', 'hh');
    const xp = b.local('i32', 'xp');
    const tp = b.local('i32', 'tp');
    b.get(rows).i32(heads).op('i32.mul').set(units);
    emitShare(b, units, thread, threads, u, end);
    b.range(u, u, end, 1, () => {
      b.get(u).i32(heads).op('i32.div_u').set(r);
      b.get(u).i32(heads).op('i32.rem_u').set(hh);
      // tp = table + position · half · 8
      b.get(table).get(rowInfo).get(r).i32(3).op('i32.shl').op('i32.add').op('i32.load', 4);
      b.i32(half * 8)
        .op('i32.mul')
        .op('i32.add')
        .set(tp);
      // xp = q + 4·(r·ldq + hh·headDim) for q heads, k + 4·(r·ldk + (hh − nHeads)·headDim) for k heads
      b.get(hh).i32(nHeads).op('i32.lt_u');
      b.if(
        () => {
          b.get(q).get(r).get(ldq).op('i32.mul').get(hh).i32(headDim).op('i32.mul').op('i32.add');
          b.i32(2).op('i32.shl').op('i32.add');
        },
        () => {
          b.get(k).get(r).get(ldk).op('i32.mul').get(hh).i32(nHeads).op('i32.sub');
          b.i32(headDim).op('i32.mul').op('i32.add').i32(2).op('i32.shl').op('i32.add');
        },
        'i32',
      );
      b.set(xp);
      if (style === 'norm') emitNormPairs(b, xp, tp, half);
      else emitNeoxPairs(b, xp, tp, half);
    });
  });
  return { name, args };
}

const locals = new WeakMap<FunctionBuilder, Local[]>();

/** Four v128 scratch locals of `b`. */
function vectors(b: FunctionBuilder): Local[] {
  let l = locals.get(b);
  if (!l) {
    l = [0, 1, 2, 3].map((i) => b.local('v128', `rv${i}`));
    locals.set(b, l);
  }
  return l;
}

/** Adjacent pairs: (x0, x1, x2, x3) with (c0, s0, c1, s1) → (x0c0 − x1s0, x0s0 + x1c0, …). */
function emitNormPairs(b: FunctionBuilder, xp: Local, tp: Local, half: number): void {
  const [vx, vt] = vectors(b) as [Local, Local];
  const rotate = (offset: number, load: string, store: (() => void) | undefined) => {
    b.get(xp);
    b.get(xp).op(load, offset, 2).set(vx);
    b.get(tp).op(load, offset, 2).set(vt);
    b.get(vx)
      .get(vt)
      .get(vt)
      .op('i8x16.shuffle', ...laneBytes(0, 0, 2, 2))
      .op('f32x4.mul');
    b.get(vx)
      .get(vx)
      .op('i8x16.shuffle', ...laneBytes(1, 0, 3, 2))
      .v128({ f32: [-1, 1, -1, 1] });
    b.op('f32x4.mul')
      .get(vt)
      .get(vt)
      .op('i8x16.shuffle', ...laneBytes(1, 1, 3, 3))
      .op('f32x4.mul');
    b.op('f32x4.add');
    if (store) store();
    else b.op('v128.store', offset, 2);
  };
  const full = Math.floor(half / 2);
  for (let j = 0; j < full; j++) rotate(16 * j, 'v128.load', undefined);
  if (half % 2) {
    const o = 16 * full;
    rotate(o, 'v128.load64_zero', () => void b.op('v128.store64_lane', o, 0));
  }
}

/** Half-split pairs: a = x[i…], b = x[half + i…]; a' = a·c − b·s, b' = a·s + b·c. */
function emitNeoxPairs(b: FunctionBuilder, xp: Local, tp: Local, half: number): void {
  const [va, vb, vc, vs] = vectors(b) as [Local, Local, Local, Local];
  const full = Math.floor(half / 4);
  for (let j = 0; j < full; j++) {
    const o = 16 * j;
    b.get(xp).op('v128.load', o, 2).set(va);
    b.get(xp)
      .op('v128.load', 4 * half + o, 2)
      .set(vb);
    b.get(tp)
      .op('v128.load', 2 * o, 2)
      .get(tp)
      .op('v128.load', 2 * o + 16, 2);
    b.op('i8x16.shuffle', ...laneBytes(0, 2, 4, 6)).set(vc);
    b.get(tp)
      .op('v128.load', 2 * o, 2)
      .get(tp)
      .op('v128.load', 2 * o + 16, 2);
    b.op('i8x16.shuffle', ...laneBytes(1, 3, 5, 7)).set(vs);
    b.get(xp).get(va).get(vc).op('f32x4.mul').get(vb).get(vs).op('f32x4.mul').op('f32x4.sub');
    b.op('v128.store', o, 2);
    b.get(xp).get(va).get(vs).op('f32x4.mul').get(vb).get(vc).op('f32x4.mul').op('f32x4.add');
    b.op('v128.store', 4 * half + o, 2);
  }
  const [a, c, s] = [0, 1, 2].map((i) => scalars(b)[i] as Local) as [Local, Local, Local];
  for (let i = 4 * full; i < half; i++) {
    const ao = 4 * i;
    const bo = 4 * (half + i);
    b.get(xp).op('f32.load', ao).set(a);
    b.get(tp)
      .op('f32.load', 8 * i)
      .set(c);
    b.get(tp)
      .op('f32.load', 8 * i + 4)
      .set(s);
    // b' first needs the old a and b: compute both before storing.
    b.get(xp);
    b.get(a).get(c).op('f32.mul').get(xp).op('f32.load', bo).get(s).op('f32.mul').op('f32.sub');
    b.get(xp);
    b.get(a).get(s).op('f32.mul').get(xp).op('f32.load', bo).get(c).op('f32.mul').op('f32.add');
    b.op('f32.store', bo);
    b.op('f32.store', ao);
  }
}

const scalarLocals = new WeakMap<FunctionBuilder, Local[]>();

/** Three f32 scratch locals of `b`. */
function scalars(b: FunctionBuilder): Local[] {
  let l = scalarLocals.get(b);
  if (!l) {
    l = [0, 1, 2].map((i) => b.local('f32', `rs${i}`));
    scalarLocals.set(b, l);
  }
  return l;
}
