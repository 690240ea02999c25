// The thread pool: programs of kernel calls over one shared memory. Shares cover every row
// once, barriers order ops across threads, the inline fallback computes the same, abort stops
// at an op boundary, a dying worker or a trapping kernel rejects instead of hanging.
import { isRuminateError, type RuminateErrorCode } from '@ruminate/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { type Arena, createMemory, i32Of, MemoryPlan, type Region } from '../src/memory/index.ts';
import {
  faultInjectionOp,
  MAX_ARGS,
  type Op,
  Program,
  reserveControl,
  ThreadPool,
  type ThreadPoolOptions,
} from '../src/pool/index.ts';
import { FN, POOL_KERNELS, poolKernelModule } from './pool-kernels.ts';

const COUNT = 1001; // odd, so shares differ in size
const POISON = -7;

interface Setup {
  pool: ThreadPool;
  arena: Arena;
  a: Region;
  b: Region;
  flag: Region;
  guards: Region[];
}

const pools: ThreadPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});

async function setup(
  threads: number,
  opts: Partial<ThreadPoolOptions> & { shared?: boolean } = {},
): Promise<Setup> {
  const plan = new MemoryPlan();
  const control = reserveControl(plan, 64);
  const guards = [plan.add('guard0', 64)];
  const a = plan.add('a', 4 * COUNT);
  guards.push(plan.add('guard1', 64));
  const b = plan.add('b', 4 * COUNT);
  guards.push(plan.add('guard2', 64));
  const flag = plan.add('flag', 4);
  const arena = createMemory(plan, { shared: opts.shared ?? threads > 1 });
  for (const g of guards) i32Of(arena.memory, g).fill(POISON);
  const module = new WebAssembly.Module(poolKernelModule(arena.pages, arena.shared));
  const pool = await ThreadPool.create({
    module,
    memory: arena.memory,
    exportNames: POOL_KERNELS,
    control,
    threads,
    ...opts,
  });
  pools.push(pool);
  return { pool, arena, a, b, flag, guards };
}

const ints = (s: Setup, r: Region) => i32Of(s.arena.memory, r);
const add = (r: Region, value: number): Op => ({ fn: FN.add, args: [r.offset, COUNT, value] });
const reverseAdd = (src: Region, dst: Region, addend: number): Op => ({
  fn: FN.reverseAdd,
  args: [src.offset, dst.offset, COUNT, addend],
});

/** A chain where each op reads rows other threads wrote in the op before it. */
function chain(s: Setup, links: number): Op[] {
  const ops: Op[] = [add(s.a, 1)];
  for (let k = 0; k < links; k++) {
    ops.push(k % 2 === 0 ? reverseAdd(s.a, s.b, k + 2) : reverseAdd(s.b, s.a, k + 2));
  }
  return ops;
}

function expectGuardsIntact(s: Setup): void {
  for (const g of s.guards) expect(ints(s, g).every((v) => v === POISON)).toBe(true);
}

async function rejection(p: Promise<unknown>): Promise<{ code: RuminateErrorCode; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isRuminateError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('ThreadPool', () => {
  for (const [threads, completion] of [
    [2, 'auto'],
    [3, 'auto'],
    [2, 'message'],
  ] as const) {
    it(`covers every row exactly once (${threads} threads, completion ${completion})`, async () => {
      const s = await setup(threads, { completion });
      expect(s.pool.info).toMatchObject({ threads, shared: true });
      ints(s, s.a).fill(0);
      await s.pool.run(Program.from([add(s.a, 1)]));
      expect(ints(s, s.a).every((v) => v === 1)).toBe(true);
      await s.pool.run(Program.from([add(s.a, 2), add(s.a, 3)]));
      expect(ints(s, s.a).every((v) => v === 6)).toBe(true);
      expectGuardsIntact(s);
    });
  }

  it('orders ops with barriers: each op reads what other threads wrote in the op before', async () => {
    const threaded = await setup(3);
    const inline = await setup(1, { shared: false });
    expect(inline.pool.info).toMatchObject({ threads: 1, shared: false });
    for (const s of [threaded, inline]) {
      ints(s, s.a).fill(0);
      ints(s, s.b).fill(0);
      for (let r = 0; r < 20; r++) await s.pool.run(Program.from(chain(s, 40)));
      expectGuardsIntact(s);
    }
    // Reference: the same chain in plain TypeScript.
    const a = new Int32Array(COUNT);
    const b = new Int32Array(COUNT);
    for (let r = 0; r < 20; r++) {
      for (let i = 0; i < COUNT; i++) a[i]! += 1;
      for (let k = 0; k < 40; k++) {
        const [src, dst] = k % 2 === 0 ? [a, b] : [b, a];
        for (let i = 0; i < COUNT; i++) dst[i] = src[COUNT - 1 - i]! + k + 2;
      }
    }
    expect(ints(threaded, threaded.a)).toEqual(a);
    expect(ints(threaded, threaded.b)).toEqual(b);
    expect(ints(inline, inline.a)).toEqual(a);
    expect(ints(inline, inline.b)).toEqual(b);
  });

  it("runs a program on the caller's thread alone when asked (inline), with the same result as its threads", async () => {
    const s = await setup(2);
    const result = async (inline: boolean) => {
      ints(s, s.a).fill(0);
      ints(s, s.b).fill(0);
      for (let r = 0; r < 5; r++) await s.pool.run(Program.from(chain(s, 12)), { inline });
      expectGuardsIntact(s);
      return [...ints(s, s.a)];
    };
    const threaded = await result(false);
    expect(threaded.some((v) => v !== 0)).toBe(true);
    expect(await result(true)).toEqual(threaded);
  });

  it('runs queued runs one after another', async () => {
    const s = await setup(2);
    ints(s, s.a).fill(0);
    const runs = Array.from({ length: 8 }, () => s.pool.run(Program.from([add(s.a, 1), add(s.a, 1)])));
    await Promise.all(runs);
    expect(ints(s, s.a).every((v) => v === 16)).toBe(true);
  });

  it('stops an aborted run at the next op boundary and stays usable', async () => {
    const s = await setup(2);
    ints(s, s.a).fill(0);
    ints(s, s.b).fill(0);
    const flag = ints(s, s.flag);
    flag[0] = 0;
    const ac = new AbortController();
    // Thread 0 sleeps in `gate` until the flag is set, so the abort lands while op 1 runs.
    const run = s.pool.run(
      Program.from([add(s.a, 1), { fn: FN.gate, args: [s.flag.offset] }, add(s.b, 1), add(s.b, 1)]),
      {
        signal: ac.signal,
      },
    );
    const outcome = rejection(run);
    while (ints(s, s.a)[COUNT - 1] !== 1 || ints(s, s.a)[0] !== 1) await new Promise((r) => setTimeout(r, 1));
    ac.abort();
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    const e = await outcome;
    expect(e.code).toBe('aborted');
    expect(e.message).toMatch(/after 2 of 4 ops/);
    expect(ints(s, s.a).every((v) => v === 1)).toBe(true);
    expect(ints(s, s.b).every((v) => v === 0)).toBe(true);
    // An already-aborted signal rejects before any op; a fresh run goes through.
    expect((await rejection(s.pool.run(Program.from([add(s.b, 1)]), { signal: ac.signal }))).code).toBe(
      'aborted',
    );
    await s.pool.run(Program.from([add(s.b, 1), add(s.b, 1)]));
    expect(ints(s, s.b).every((v) => v === 2)).toBe(true);
  });

  it('stops an aborted single-threaded run at an op boundary', async () => {
    const s = await setup(1, { shared: false, yieldMs: 0 });
    ints(s, s.a).fill(0);
    ints(s, s.b).fill(0);
    const ac = new AbortController();
    const outcome = rejection(
      s.pool.run(Program.from([add(s.a, 1), add(s.b, 1), add(s.b, 1)]), { signal: ac.signal }),
    );
    // The run yields one macrotask after op 0 (setImmediate, FIFO): this abort lands there.
    setImmediate(() => ac.abort());
    const e = await outcome;
    expect(e.code).toBe('aborted');
    expect(e.message).toMatch(/after 1 of 3 ops/);
    expect(ints(s, s.a).every((v) => v === 1)).toBe(true);
    expect(ints(s, s.b).every((v) => v === 0)).toBe(true);
  });

  it('rejects with worker-failed, without hanging, when a worker dies mid-run; later runs too', async () => {
    const s = await setup(2);
    ints(s, s.a).fill(0);
    ints(s, s.b).fill(0);
    const e = await rejection(s.pool.run(Program.from([add(s.a, 1), faultInjectionOp(1), add(s.b, 1)])));
    expect(e.code).toBe('worker-failed');
    expect(e.message).toMatch(/thread 1 .*load it again/);
    expect(s.pool.failed?.code).toBe('worker-failed');
    expect((await rejection(s.pool.run(Program.from([add(s.b, 1)])))).code).toBe('worker-failed');
    expect(ints(s, s.b).every((v) => v === 0)).toBe(true);
    await s.pool.destroy();
  });

  it('rejects a trapping kernel with internal, naming it, and stays usable', async () => {
    for (const threads of [2, 1]) {
      const s = await setup(threads);
      ints(s, s.a).fill(0);
      ints(s, s.b).fill(0);
      const e = await rejection(
        s.pool.run(Program.from([add(s.a, 1), { fn: FN.trap, args: [] }, add(s.b, 1)])),
      );
      expect(e.code).toBe('internal');
      expect(e.message).toMatch(/kernel 'trap' \(op 1\)/);
      expect(ints(s, s.b).every((v) => v === 0)).toBe(true);
      await s.pool.run(Program.from([add(s.b, 1)]));
      expect(ints(s, s.b).every((v) => v === 1)).toBe(true);
    }
  });

  it('destroy() stops the workers; runs after it reject with not-loaded', async () => {
    const s = await setup(2);
    await s.pool.run(Program.from([add(s.a, 1)]));
    await s.pool.destroy();
    expect((await rejection(s.pool.run(Program.from([add(s.a, 1)])))).code).toBe('not-loaded');
  });

  it('runs inline over a memory that is not shared, saying why', async () => {
    const s = await setup(2, { shared: false });
    expect(s.pool.info).toMatchObject({ threads: 1, shared: false });
    expect(s.pool.info.reason).toMatch(/not shared/);
    ints(s, s.a).fill(0);
    await s.pool.run(Program.from([add(s.a, 4)]));
    expect(ints(s, s.a).every((v) => v === 4)).toBe(true);
  });

  it('refuses malformed programs with invalid-argument', async () => {
    const s = await setup(2);
    expect(() => Program.from([{ fn: 0, args: new Array(MAX_ARGS + 1).fill(0) }])).toThrow(/at most 14/);
    expect(() => Program.from([{ fn: 0, args: [2 ** 32] }])).toThrow(/not a 32-bit integer/);
    expect((await rejection(s.pool.run(Program.from([{ fn: 99, args: [] }])))).code).toBe('invalid-argument');
    const long = Program.from(Array.from({ length: 65 }, () => ({ fn: FN.nop, args: [] })));
    expect((await rejection(s.pool.run(long))).message).toMatch(/holds 64/);
    await expect(
      ThreadPool.create({
        module: new WebAssembly.Module(poolKernelModule(s.arena.pages, true)),
        memory: s.arena.memory,
        exportNames: ['add', 'missing'],
        control: s.arena.region('pool-control'),
      }),
    ).rejects.toThrow(/no function named missing/);
  });

  it('lets a program change an argument in place between runs', async () => {
    const s = await setup(2);
    ints(s, s.a).fill(0);
    const p = Program.from([add(s.a, 1)]);
    await s.pool.run(p);
    p.setArg(0, 2, 10);
    await s.pool.run(p);
    expect(ints(s, s.a).every((v) => v === 11)).toBe(true);
  });
});
