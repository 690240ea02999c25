// The parameter list of a kernel export: its named i32 arguments, then (thread, threads).
import type { ValType } from '../../encoder/index.ts';
import { THREAD_PARAMS } from '../thread-share.ts';

/** `[name, 'i32']` for each argument, followed by THREAD_PARAMS. */
export function kernelParams(args: readonly string[]): [string, ValType][] {
  return [...args.map((a): [string, ValType] => [a, 'i32']), ...THREAD_PARAMS];
}
