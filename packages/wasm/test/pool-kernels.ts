// Kernels for the thread-pool tests and the barrier benchmark, built with the encoder. Every
// export follows the calling convention: i32 arguments, then (thread, threads); each thread
// does its share of rows (emitShare), so one op over T threads covers each row once.
import { type FunctionBuilder, type Local, ModuleBuilder } from '../src/encoder/index.ts';
import { emitShare, THREAD_PARAMS } from '../src/kernels/thread-share.ts';

/** Export names in op fn order. */
export const POOL_KERNELS = ['add', 'reverseAdd', 'gate', 'trap', 'nop'] as const;
/** Op fn of each kernel. */
export const FN = Object.fromEntries(POOL_KERNELS.map((n, i) => [n, i])) as Record<
  (typeof POOL_KERNELS)[number],
  number
>;

const addr = (b: FunctionBuilder, base: Local, i: Local) =>
  b.get(base).get(i).i32(4).op('i32.mul').op('i32.add');

/**
 * add(offset, count, value): ints[offset + 4i] += value for i in this thread's share of [0, count).
 * reverseAdd(src, dst, count, addend): dst[i] = src[count − 1 − i] + addend (reads other threads' rows).
 * gate(flag): thread 0 sleeps (memory.atomic.wait32) until the int at `flag` is non-zero.
 * trap(): unreachable. nop(): nothing (barrier cost).
 */
export function poolKernelModule(pages: number, shared: boolean): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder().importMemory({ initial: pages, maximum: pages, shared });
  m.func('add', [['offset', 'i32'], ['count', 'i32'], ['value', 'i32'], ...THREAD_PARAMS], [], (b) => {
    const [offset, count, value, t, n] = b.params as [Local, Local, Local, Local, Local];
    const [start, end, i] = [b.local('i32', 'start'), b.local('i32', 'end'), b.local('i32', 'i')];
    emitShare(b, count, t, n, start, end);
    b.range(i, start, end, 1, () => {
      addr(b, offset, i);
      addr(b, offset, i).op('i32.load').get(value).op('i32.add');
      b.op('i32.store');
    });
  });
  m.func(
    'reverseAdd',
    [['src', 'i32'], ['dst', 'i32'], ['count', 'i32'], ['addend', 'i32'], ...THREAD_PARAMS],
    [],
    (b) => {
      const [src, dst, count, addend, t, n] = b.params as [Local, Local, Local, Local, Local, Local];
      const [start, end, i, j] = [b.local('i32'), b.local('i32'), b.local('i32', 'i'), b.local('i32', 'j')];
      emitShare(b, count, t, n, start, end);
      b.range(i, start, end, 1, () => {
        b.get(count).i32(1).op('i32.sub').get(i).op('i32.sub').set(j);
        addr(b, dst, i);
        addr(b, src, j).op('i32.load').get(addend).op('i32.add');
        b.op('i32.store');
      });
    },
  );
  m.func('gate', [['flag', 'i32'], ...THREAD_PARAMS], [], (b) => {
    const [flag, t] = b.params as [Local, Local, Local];
    b.get(t).op('i32.eqz');
    b.if(() => {
      b.block((exit) => {
        b.loop((again) => {
          b.get(flag).op('i32.atomic.load').brIf(exit);
          b.get(flag).i32(0).i64(-1).op('memory.atomic.wait32').drop();
          b.br(again);
        });
      });
    });
  });
  m.func('trap', [...THREAD_PARAMS], [], (b) => void b.op('unreachable'));
  m.func('nop', [...THREAD_PARAMS], [], () => {});
  return m.encode();
}
