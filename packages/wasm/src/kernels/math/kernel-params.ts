// The parameter list of a kernel export: its named i32 arguments, then (thread, threads).
import type { FunctionBuilder, Local, ValType } from '../../encoder/index.ts';
import { THREAD_PARAMS } from '../thread-share.ts';

/** `[name, 'i32']` for each argument, followed by THREAD_PARAMS. */
export function kernelParams(args: readonly string[]): [string, ValType][] {
  return [...args.map((a): [string, ValType] => [a, 'i32']), ...THREAD_PARAMS];
}

/** The parameters of a kernel's function builder by name (its argument names, thread, threads). */
export function paramsByName<const N extends readonly string[]>(
  b: FunctionBuilder,
  args: N,
): Record<N[number] | 'thread' | 'threads', Local> {
  const byName = new Map(b.params.map((p) => [p.name, p]));
  const out = {} as Record<N[number] | 'thread' | 'threads', Local>;
  for (const n of [...args, 'thread', 'threads'] as (N[number] | 'thread' | 'threads')[]) {
    const p = byName.get(n);
    if (!p) throw new RangeError(`kernel parameter ${n} missing`);
    out[n] = p;
  }
  return out;
}
