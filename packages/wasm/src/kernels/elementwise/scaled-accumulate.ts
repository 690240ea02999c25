// The mixture-of-experts combine (llama.cpp build_moe_ffn: the experts' outputs weighted and
// summed): x[row_i] += weight_i · y[i] over a list of (row, weight) pairs. Pairs may name the
// same row (a token's top-k experts); work is split by columns, so each thread adds every pair
// to its own columns, in list order.
import type { ModuleBuilder } from '../../encoder/index.ts';
import type { KernelExport } from '../math/kernel-export.ts';
import { kernelParams, paramsByName } from '../math/kernel-params.ts';
import { emitShare } from '../thread-share.ts';
import { BLOCK, blocksOf } from './column-blocks.ts';
import { emitAt, emitSpan } from './span.ts';

/** Shape constants of a scaled-accumulate kernel. */
export interface ScaledAccumulateSpec {
  /** Floats per row. */
  dim: number;
  /** Export name (default `scaled_accumulate_<dim>`). */
  name?: string;
}

/**
 * Emits `name(x, ldx, y, ldy, pairs, count, thread, threads)`: for i < count, with pairs
 * [count][2] = (u32 row, f32 weight), x[row·ldx + j] += weight · y[i·ldy + j] for j < dim (byte
 * offsets; strides in floats). Split over blocks of 256 columns.
 */
export function emitScaledAccumulate(mod: ModuleBuilder, spec: ScaledAccumulateSpec): KernelExport {
  const { dim } = spec;
  const name = spec.name ?? `scaled_accumulate_${dim}`;
  const args = ['x', 'ldx', 'y', 'ldy', 'pairs', 'count'] as const;
  mod.func(name, kernelParams(args), [], (b) => {
    const p = paramsByName(b, args);
    const u = b.local('i32', 'u');
    const end = b.local('i32', 'end');
    const i = b.local('i32', 'i');
    const first = b.local('i32', 'first');
    const last = b.local('i32', 'last');
    const at = b.local('i32', 'at');
    const xp = b.local('i32', 'xp');
    const yp = b.local('i32', 'yp');
    const wgt = b.local('f32', 'wgt');
    const wv = b.local('v128', 'wv');
    emitShare(b, blocksOf(dim), p.thread, p.threads, u, end);
    b.range(u, u, end, 1, () => {
      b.get(u).i32(BLOCK).op('i32.mul').tee(first).i32(BLOCK).op('i32.add').tee(last);
      b.i32(dim).get(last).i32(dim).op('i32.lt_s').select().set(last);
      b.range(i, 0, p.count, 1, () => {
        b.get(p.pairs).get(i).i32(3).op('i32.shl').op('i32.add').tee(xp).op('f32.load', 4).tee(wgt);
        b.op('f32x4.splat').set(wv);
        b.get(p.x).get(xp).op('i32.load').get(p.ldx).op('i32.mul').i32(2).op('i32.shl').op('i32.add').set(xp);
        b.get(p.y).get(i).get(p.ldy).op('i32.mul').i32(2).op('i32.shl').op('i32.add').set(yp);
        emitSpan(b, at, first, last, (w) => {
          emitAt(b, xp, at);
          emitAt(b, xp, at);
          b.op(w.load, 0, 2);
          b.get(w.n === 4 ? wv : wgt);
          emitAt(b, yp, at);
          b.op(w.load, 0, 2).op(w.mul).op(w.add).op(w.store, 0, 2);
        });
      });
    });
  });
  return { name, args };
}
