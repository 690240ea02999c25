// Softmax over short rows (the MoE router's expert probabilities): max-subtracted, f32,
// out = e^(x − max) / Σ e^(x − max).
import type { ModuleBuilder } from '../../encoder/index.ts';
import type { KernelExport } from '../math/kernel-export.ts';
import { kernelParams, paramsByName } from '../math/kernel-params.ts';
import { emitHorizontal } from '../math/lanes.ts';
import { emitShare } from '../thread-share.ts';
import { emitAt, emitSpan } from './span.ts';

/** Shape constants of a softmax kernel. */
export interface SoftmaxSpec {
  /** Floats per row. */
  n: number;
  /** Export name (default `softmax_<n>`). */
  name?: string;
}

/**
 * Emits `name(x, ldx, out, ldo, rows, thread, threads)`: out[r·ldo + j] = softmax_j(x[r·ldx + ·])
 * for j < n (byte offsets; strides in floats; out may equal x). Split over rows.
 */
export function emitSoftmax(mod: ModuleBuilder, spec: SoftmaxSpec): KernelExport {
  const { n } = spec;
  const name = spec.name ?? `softmax_${n}`;
  const args = ['x', 'ldx', 'out', 'ldo', 'rows'] as const;
  mod.func(name, kernelParams(args), [], (b) => {
    const p = paramsByName(b, args);
    const r = b.local('i32', 'r');
    const end = b.local('i32', 'end');
    const at = b.local('i32', 'at');
    const xp = b.local('i32', 'xp');
    const op = b.local('i32', 'op');
    const mv = b.local('v128', 'mv');
    const ms = b.local('f32', 'ms');
    const sv = b.local('v128', 'sv');
    const ss = b.local('f32', 'ss');
    emitShare(b, p.rows, p.thread, p.threads, r, end);
    b.range(r, r, end, 1, () => {
      b.get(p.x).get(r).get(p.ldx).op('i32.mul').i32(2).op('i32.shl').op('i32.add').set(xp);
      b.get(p.out).get(r).get(p.ldo).op('i32.mul').i32(2).op('i32.shl').op('i32.add').set(op);
      b.splat('f32', Number.NEGATIVE_INFINITY).set(mv);
      b.f32(Number.NEGATIVE_INFINITY).set(ms);
      emitSpan(b, at, 0, n, (w) => {
        const acc = w.n === 4 ? mv : ms;
        b.get(acc);
        emitAt(b, xp, at);
        b.op(w.load, 0, 2).op(w.max).set(acc);
      });
      b.get(mv);
      emitHorizontal(b, 'f32x4.max');
      b.get(ms).op('f32.max').tee(ms).op('f32x4.splat').set(mv);
      b.splat('f32', 0).set(sv);
      b.f32(0).set(ss);
      emitSpan(b, at, 0, n, (w) => {
        const acc = w.n === 4 ? sv : ss;
        const e = w.n === 4 ? b.local('v128') : b.local('f32');
        emitAt(b, op, at);
        emitAt(b, xp, at);
        b.op(w.load, 0, 2)
          .get(w.n === 4 ? mv : ms)
          .op(w.sub);
        w.exp(b);
        b.tee(e).op(w.store, 0, 2);
        b.get(acc).get(e).op(w.add).set(acc);
      });
      b.get(sv);
      emitHorizontal(b, 'f32x4.add');
      b.get(ss).op('f32.add').set(ss);
      b.f32(1).get(ss).op('f32.div').tee(ss).op('f32x4.splat').set(sv);
      emitSpan(b, at, 0, n, (w) => {
        emitAt(b, op, at);
        emitAt(b, op, at);
        b.op(w.load, 0, 2)
          .get(w.n === 4 ? sv : ss)
          .op(w.mul)
          .op(w.store, 0, 2);
      });
    });
  });
  return { name, args };
}
