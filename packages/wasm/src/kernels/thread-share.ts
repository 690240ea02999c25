// The calling convention every kernel follows, and the code that splits its work: a kernel is
// an export taking its i32 arguments and then (thread, threads); thread t of T computes units
// [⌊U·t/T⌋ rounded down to `align`, ⌊U·(t+1)/T⌋ rounded down to `align`) of U (the last thread
// takes the rest), so the shares cover every unit exactly once whatever T is.
import type { FunctionBuilder, Local } from '../encoder/index.ts';

/** The (thread, threads) parameters every kernel ends with. */
export const THREAD_PARAMS = [
  ['thread', 'i32'],
  ['threads', 'i32'],
] as const satisfies readonly [string, 'i32'][];

/**
 * Emits the share of `units` (a constant or a local) for this thread into `start` and `end`.
 * `align` (a power of two) keeps shares on multiples of a tile, except the last share's end.
 */
export function emitShare(
  b: FunctionBuilder,
  units: number | Local,
  thread: Local,
  threads: Local,
  start: Local,
  end: Local,
  align = 1,
): void {
  const total = () => (typeof units === 'number' ? b.i32(units) : b.get(units));
  const bound = (t: () => void, into: Local) => {
    // ⌊units·t/threads⌋ & −align, computed in 32 bits (units·threads stays far below 2^31 here).
    total();
    t();
    b.op('i32.mul').get(threads).op('i32.div_u').i32(-align).op('i32.and').set(into);
  };
  bound(() => void b.get(thread), start);
  // The last thread ends at `units`; the others where the next one starts.
  b.get(thread).i32(1).op('i32.add').get(threads).op('i32.eq');
  b.if(
    () => void total().set(end),
    () => bound(() => void b.get(thread).i32(1).op('i32.add'), end),
  );
}

/** Host-side twin of emitShare, for tests and for sizing. */
export function shareOf(units: number, thread: number, threads: number, align = 1): [number, number] {
  const at = (t: number) => (Math.floor((units * t) / threads) & -align) >>> 0;
  return [at(thread), thread + 1 === threads ? units : at(thread + 1)];
}
