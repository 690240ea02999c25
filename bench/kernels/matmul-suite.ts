// The matmul part of `ruminate bench kernels`, runnable in Node and on a page: each
// model-shaped problem is tuned (on k/4 on slow adapters) within a share of the
// budget, then the shipped default and the winner are timed on the full size.
import {
  type KernelConfig,
  type KernelContext,
  type MatmulDtype,
  type MatmulShape,
  matmulTunable,
  reducedMatmulShape,
  type Tuner,
} from '@ruminate/gpu';
import { describeTiming, gflops, tuneAndTime } from './tune-and-time.ts';

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

/** Options of the kernel suites. */
export interface SuiteOptions {
  /** Tune on reduced sizes — keeps the ranking on slow adapters such as SwiftShader. */
  reduced: boolean;
  /** Tuning budget for the whole suite, ms. */
  budgetMs: number;
  /** Timed runs per measurement (median). */
  reps: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Every shape × dtype. */
export function allMatmulProblems(): MatmulShape[] {
  return MATMUL_SHAPES.flatMap((s) => MATMUL_BENCH_DTYPES.map((dtype) => ({ ...s, dtype })));
}

/** Runs the suite; `tuner` decides and persists winners (a second run reuses them). */
export async function runMatmulSuite(
  ctx: KernelContext,
  tuner: Tuner,
  options: SuiteOptions & { problems?: MatmulShape[] },
): Promise<MatmulBenchRow[]> {
  const problems = options.problems ?? allMatmulProblems();
  const rows: MatmulBenchRow[] = [];
  const started = performance.now();
  for (const [i, problem] of problems.entries()) {
    const tuneShape = options.reduced ? reducedMatmulShape(problem) : problem;
    const left = options.budgetMs - (performance.now() - started);
    const t = await tuneAndTime(
      tuner,
      ctx.device,
      matmulTunable(ctx, tuneShape),
      matmulTunable(ctx, problem),
      {
        budgetMs: left / (problems.length - i),
        reps: options.reps,
      },
    );
    const { m, k, n } = problem;
    const weightBytes = t.work.bytes - 4 * m * k - 4 * m * n;
    rows.push({
      op: t.op,
      shape: { m, k, n },
      dtype: problem.dtype,
      tunedOn: { m: tuneShape.m, k: tuneShape.k, n: tuneShape.n },
      defaultMs: t.defaultMs,
      tunedMs: t.tunedMs,
      defaultGflops: gflops(t.work.flops, t.defaultMs),
      tunedGflops: gflops(t.work.flops, t.tunedMs),
      effectiveGBps: t.work.bytes / (t.tunedMs * 1e-3) / 1e9,
      weightGBps: weightBytes / (t.tunedMs * 1e-3) / 1e9,
      timed: t.timed,
      candidates: t.candidates,
      winner: t.winner,
      tuneMs: t.tuneMs,
    });
    options.log?.(describeTiming(`${m}×${k}×${n} ${problem.dtype}`, t));
  }
  return rows;
}
