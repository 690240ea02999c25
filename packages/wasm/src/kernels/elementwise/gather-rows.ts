// Copies selected rows of an f32 matrix (f32 embedding lookups, a MoE expert's tokens).
import type { ModuleBuilder } from '../../encoder/index.ts';
import type { KernelExport } from '../math/kernel-export.ts';
import { kernelParams, paramsByName } from '../math/kernel-params.ts';
import { emitShare } from '../thread-share.ts';
import { emitAt, emitSpan } from './span.ts';

/** Shape constants of a row gather. */
export interface GatherRowsSpec {
  /** Floats per row. */
  dim: number;
  /** Export name (default `gather_rows_<dim>`). */
  name?: string;
}

/**
 * Emits `name(src, lds, index, dst, ldd, count, thread, threads)`: dst[i·ldd + j] =
 * src[index[i]·lds + j] for i < count, j < dim, index u32 [count] (byte offsets; strides in
 * floats; the caller keeps indices in range). Split over rows.
 */
export function emitGatherRows(mod: ModuleBuilder, spec: GatherRowsSpec): KernelExport {
  const { dim } = spec;
  const name = spec.name ?? `gather_rows_${dim}`;
  const args = ['src', 'lds', 'index', 'dst', 'ldd', 'count'] as const;
  mod.func(name, kernelParams(args), [], (b) => {
    const p = paramsByName(b, args);
    const i = b.local('i32', 'i');
    const end = b.local('i32', 'end');
    const at = b.local('i32', 'at');
    const sp = b.local('i32', 'sp');
    const dp = b.local('i32', 'dp');
    emitShare(b, p.count, p.thread, p.threads, i, end);
    b.range(i, i, end, 1, () => {
      b.get(p.src).get(p.index).get(i).i32(2).op('i32.shl').op('i32.add').op('i32.load');
      b.get(p.lds).op('i32.mul').i32(2).op('i32.shl').op('i32.add').set(sp);
      b.get(p.dst).get(i).get(p.ldd).op('i32.mul').i32(2).op('i32.shl').op('i32.add').set(dp);
      emitSpan(b, at, 0, dim, (w) => {
        emitAt(b, dp, at);
        emitAt(b, sp, at);
        b.op(w.load, 0, 2).op(w.store, 0, 2);
      });
    });
  });
  return { name, args };
}
