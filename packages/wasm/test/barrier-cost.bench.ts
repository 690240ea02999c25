// Micro-benchmark (not a test): barrier cost per op and wake-up cost per run of the thread pool,
// for 1…N compute threads. Run: pnpm exec tsx packages/wasm/test/barrier-cost.bench.ts [maxThreads] [spin…]
// Per op: a program of OPS empty kernels (nop) run RUNS times; every op ends in a barrier.
// Per run: a one-op program (wake every thread, run, report completion to this thread).
import { createMemory, MemoryPlan } from '../src/memory/index.ts';
import { hardwareThreads, Program, reserveControl, ThreadPool } from '../src/pool/index.ts';
import { FN, POOL_KERNELS, poolKernelModule } from './pool-kernels.ts';

const OPS = 256;
const RUNS = 40;

async function measure(
  threads: number,
  spin: number | undefined,
): Promise<{ perOpUs: number; perRunUs: number }> {
  const plan = new MemoryPlan();
  const control = reserveControl(plan, OPS);
  const arena = createMemory(plan, { shared: threads > 1 });
  const module = new WebAssembly.Module(poolKernelModule(arena.pages, arena.shared));
  const pool = await ThreadPool.create({
    module,
    memory: arena.memory,
    exportNames: POOL_KERNELS,
    control,
    threads,
    spin,
  });
  const many = Program.from(Array.from({ length: OPS }, () => ({ fn: FN.nop, args: [] })));
  const one = Program.from([{ fn: FN.nop, args: [] }]);
  const best = async (program: Program, per: number) => {
    let min = Number.POSITIVE_INFINITY;
    for (let rep = 0; rep < 5; rep++) {
      const t0 = performance.now();
      for (let r = 0; r < RUNS; r++) await pool.run(program);
      min = Math.min(min, ((performance.now() - t0) * 1000) / (RUNS * per));
    }
    return min;
  };
  await best(many, OPS); // warm-up
  const perRunUs = await best(one, 1);
  const manyUs = await best(many, 1);
  pool.destroy();
  // The per-op cost of a barrier: the long program's time less one run's fixed cost, per op.
  return { perOpUs: (manyUs - perRunUs) / (OPS - 1), perRunUs };
}

const maxThreads = Number(process.argv[2] ?? (await hardwareThreads()));
const spins: (number | undefined)[] =
  process.argv.length > 3 ? process.argv.slice(3).map(Number) : [undefined];
console.log(`cores: ${await hardwareThreads()}; ${OPS} nop ops per program, best of 5 × ${RUNS} runs`);
console.log('threads  spin    barrier µs/op   run µs (wake + completion)');
for (const spin of spins) {
  for (let t = 1; t <= maxThreads; t++) {
    const { perOpUs, perRunUs } = await measure(t, spin);
    console.log(
      `${String(t).padStart(7)}  ${String(spin ?? 'auto').padStart(6)}  ${perOpUs.toFixed(2).padStart(14)}  ${perRunUs.toFixed(1).padStart(10)}`,
    );
  }
}
