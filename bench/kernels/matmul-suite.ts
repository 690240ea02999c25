// The matmul part of `ruminate bench kernels`, runnable in Node and on a page: for each
// model-shaped problem, tune on (optionally reduced) sizes within a budget, then time the
// shipped default and the winner on the full size with timestamp queries.
import {
  createGpuTimer,
  type KernelConfig,
  type KernelContext,
  type MatmulDtype,
  type MatmulShape,
  matmulShapeBucket,
  matmulTunable,
  type Tuner,
} from '@ruminate/gpu';

/** The problems the issue names: m activation rows × k inner × n outputs. */
export const MATMUL_SHAPES = [
  { m: 1, k: 2048, n: 2048 },
  { m: 16, k: 2048, n: 2048 },
  { m: 128, k: 2048, n: 5632 },
] as const;

/** Weight types benchmarked. */
export const MATMUL_BENCH_DTYPES: readonly MatmulDtype[] = ['f32', 'q8_0', 'q4_0', 'q4_k'];

/** One measured matmul problem. */
export interface MatmulBenchRow {
  op: string;
  shape: { m: number; k: number; n: number };
  dtype: MatmulDtype;
  /** Shape the tuner timed candidates on (smaller than `shape` with `reduced`). */
  tunedOn: { m: number; k: number; n: number };
  defaultMs: number;
  tunedMs: number;
  defaultGflops: number;
  tunedGflops: number;
  /** Weight + activation + output bytes per run / tuned time. */
  effectiveGBps: number;
  /** Bytes of weights alone per run / tuned time (the GEMV figure of merit). */
  weightGBps: number;
  /** Candidates timed and declared. */
  timed: number;
  candidates: number;
  winner: KernelConfig;
  tuneMs: number;
}

/** Options of the matmul suite. */
export interface MatmulSuiteOptions {
  /** Tune on k/4 × n/4 (same m) — keeps the ranking on slow adapters such as SwiftShader. */
  reduced: boolean;
  /** Total tuning budget over all problems, ms. */
  budgetMs: number;
  /** Timed runs per measurement (median). */
  reps: number;
  /** Problems to run (default: every shape × dtype). */
  problems?: MatmulShape[];
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Every shape × dtype. */
export function allMatmulProblems(): MatmulShape[] {
  return MATMUL_SHAPES.flatMap((s) => MATMUL_BENCH_DTYPES.map((dtype) => ({ ...s, dtype })));
}

function reduce(s: MatmulShape): MatmulShape {
  const round = (v: number, to: number) => Math.max(to, Math.round(v / 4 / to) * to);
  return { ...s, k: round(s.k, 256), n: round(s.n, 8) };
}

/** Runs the suite; `tuner` decides and persists winners (a second run reuses them). */
export async function runMatmulSuite(
  ctx: KernelContext,
  tuner: Tuner,
  options: MatmulSuiteOptions,
): Promise<MatmulBenchRow[]> {
  const problems = options.problems ?? allMatmulProblems();
  const timer = createGpuTimer(ctx.device);
  const rows: MatmulBenchRow[] = [];
  const started = performance.now();
  try {
    for (const [i, problem] of problems.entries()) {
      const tuneShape = options.reduced ? reduce(problem) : problem;
      // Tuned on the reduced shape, the winner is kept under the full shape's bucket: that is the
      // problem it stands for.
      const tunable = {
        ...matmulTunable(ctx, tuneShape),
        bucket: matmulShapeBucket(problem.m, problem.k, problem.n, problem.dtype),
      };
      const left = options.budgetMs - (performance.now() - started);
      const report = await tuner.tune([tunable], { budgetMs: Math.max(0, left / (problems.length - i)) });
      tunable.dispose?.();
      const result = report.results[0];
      if (!result) throw new Error('tuner returned no result');
      const full = matmulTunable(ctx, problem);
      const defaultConfig = full.candidates[full.defaultIndex] as KernelConfig;
      await full.prepare(defaultConfig);
      const defaultMs = await timer.time((e) => full.encode(e, defaultConfig), options.reps);
      await full.prepare(result.winner);
      const tunedMs = await timer.time((e) => full.encode(e, result.winner), options.reps);
      full.dispose?.();
      const { m, k, n } = problem;
      const flops = full.work.flops;
      const weightBytes = full.work.bytes - 4 * m * k - 4 * m * n;
      const row: MatmulBenchRow = {
        op: full.op,
        shape: { m, k, n },
        dtype: problem.dtype,
        tunedOn: { m: tuneShape.m, k: tuneShape.k, n: tuneShape.n },
        defaultMs,
        tunedMs,
        defaultGflops: flops / (defaultMs * 1e-3) / 1e9,
        tunedGflops: flops / (tunedMs * 1e-3) / 1e9,
        effectiveGBps: full.work.bytes / (tunedMs * 1e-3) / 1e9,
        weightGBps: weightBytes / (tunedMs * 1e-3) / 1e9,
        timed: result.timed,
        candidates: result.candidates,
        winner: result.winner,
        tuneMs: result.tuneMs,
      };
      options.log?.(
        `${row.op} ${m}×${k}×${n} ${row.dtype}: default ${row.defaultGflops.toFixed(2)} → tuned ${row.tunedGflops.toFixed(2)} GFLOP/s (${result.cached ? 'cached' : `${result.timed}/${result.candidates} candidates, ${(result.tuneMs / 1000).toFixed(1)} s`})`,
      );
      rows.push(row);
    }
  } finally {
    timer.dispose();
  }
  return rows;
}
