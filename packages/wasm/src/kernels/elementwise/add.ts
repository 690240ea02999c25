// Elementwise sum of two f32 arrays (the residual connection: x += delta with out = a = x).
import type { ModuleBuilder } from '../../encoder/index.ts';
import type { KernelExport } from '../math/kernel-export.ts';
import { kernelParams, paramsByName } from '../math/kernel-params.ts';
import { emitShare } from '../thread-share.ts';
import { emitAt, emitSpan } from './span.ts';

/** Options of the add kernel. */
export interface AddSpec {
  /** Export name (default `add_f32`). */
  name?: string;
}

/** Emits `name(a, b, out, n, thread, threads)`: out[i] = a[i] + b[i] for i < n (byte offsets; out may equal a or b). */
export function emitAdd(mod: ModuleBuilder, spec: AddSpec = {}): KernelExport {
  const name = spec.name ?? 'add_f32';
  const args = ['a', 'b', 'out', 'n'] as const;
  mod.func(name, kernelParams(args), [], (f) => {
    const p = paramsByName(f, args);
    const at = f.local('i32', 'at');
    const end = f.local('i32', 'end');
    emitShare(f, p.n, p.thread, p.threads, at, end, 16);
    emitSpan(f, at, at, end, (w) => {
      emitAt(f, p.out, at);
      emitAt(f, p.a, at);
      f.op(w.load, 0, 2);
      emitAt(f, p.b, at);
      f.op(w.load, 0, 2).op(w.add).op(w.store, 0, 2);
    });
  });
  return { name, args };
}
