// Micro-benchmark of the wasm matmul kernels: GFLOP/s and weight GB/s (packed bytes read per
// second) on the 31M llama's and a 1B model's shapes, one thread and all threads, beside a
// memory sweep of the same bytes. A thin wrapper of benchWasmMatmuls (src/profile/); the full
// table with the machine, JSON and every weight type is `ruminate bench kernels --backend wasm`.
// Run: pnpm exec tsx packages/wasm/bench-matmul.ts [--quick]
import { benchWasmMatmuls, measureCpuProfile, WASM_BENCH_SHAPES } from './src/index.ts';

const quick = process.argv.includes('--quick');
const cpu = await measureCpuProfile();
console.log(
  `memory sweep ${cpu.memorySweepGBps.toFixed(1)} GB/s; q4_0 GEMV 2048² ${cpu.q4_0GemvGflops.toFixed(1)} GFLOP/s (one thread, relaxed ${cpu.q4_0GemvRelaxed})`,
);
const f = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(1));
const result = await benchWasmMatmuls({
  shapes: quick ? WASM_BENCH_SHAPES.slice(0, 2) : WASM_BENCH_SHAPES,
  types: quick ? ['q4_0', 'q8_0'] : ['q4_0', 'q8_0', 'q4_k', 'q6_k', 'f16'],
  ms: [1, 4, 16],
  timing: quick ? { minRoundMs: 10, rounds: 2 } : undefined,
  onRow: (r) =>
    console.log(
      `${`${r.model} ${r.op} k=${r.k} n=${r.n}`.padEnd(26)} ${r.type.padEnd(5)} m=${String(r.m).padStart(2)}  ` +
        (r.skipped ??
          `1T ${f(r.oneThread?.gflops)} GFLOP/s ${f(r.oneThread?.weightGBps)} GB/s (sweep ${f(r.oneThread?.sweepGBps)})  ` +
            `${r.allThreads?.threads ?? '-'}T ${f(r.allThreads?.gflops)} GFLOP/s ${f(r.allThreads?.weightGBps)} GB/s (sweep ${f(r.allThreads?.sweepGBps)})`),
    ),
});
console.log(
  `memory sweep of ${result.sweep.bytes >> 20} MiB: ${f(result.sweep.oneThreadGBps)} GB/s one thread, ${f(result.sweep.allThreadsGBps ?? undefined)} GB/s ${result.threading.threads} threads`,
);
