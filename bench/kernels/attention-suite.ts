// The attention part of `ruminate bench kernels`: paged decode attention for many sequences
// at a long context (the issue's 16 sequences × 1k), tuned within a budget (on a shorter
// context on slow adapters), then the shipped default and the winner timed on the full shape.
import {
  type AttentionDecodeShape,
  attentionDecodeTunable,
  createGpuTimer,
  type KernelConfig,
  type KernelContext,
  type Tuner,
} from '@ruminate/gpu';

/** The problem the issue names, with Llama-3.2-1B's heads (32 q / 8 kv, head dim 64). */
export const ATTENTION_SHAPES: readonly AttentionDecodeShape[] = [
  { sequences: 16, context: 1024, nHeads: 32, nKvHeads: 8, headDim: 64 },
];

/** One measured attention problem (a row of bench/results/kernels.json). */
export interface AttentionBenchRow {
  op: string;
  shape: AttentionDecodeShape;
  dtype: 'f32';
  /** Shape the tuner timed candidates on. */
  tunedOn: AttentionDecodeShape;
  defaultMs: number;
  tunedMs: number;
  /** 4·sequences·context·nHeads·headDim (q·k and p·v) per run / time. */
  defaultGflops: number;
  tunedGflops: number;
  /** K and V bytes read per run / tuned time. */
  effectiveGBps: number;
  timed: number;
  candidates: number;
  winner: KernelConfig;
  tuneMs: number;
}

/** Options of the attention suite (as the matmul suite's). */
export interface AttentionSuiteOptions {
  /** Tune on a quarter of the context and sequences (keeps the ranking on SwiftShader). */
  reduced: boolean;
  /** Tuning budget, ms. */
  budgetMs: number;
  /** Timed runs per measurement (median). */
  reps: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Runs the suite; `tuner` decides and persists winners (bucket `g{group}-d{headDim}`). */
export async function runAttentionSuite(
  ctx: KernelContext,
  tuner: Tuner,
  options: AttentionSuiteOptions,
): Promise<AttentionBenchRow[]> {
  const timer = createGpuTimer(ctx.device);
  const rows: AttentionBenchRow[] = [];
  try {
    for (const shape of ATTENTION_SHAPES) {
      const tuneShape = options.reduced
        ? { ...shape, sequences: Math.max(1, shape.sequences / 4), context: Math.max(64, shape.context / 4) }
        : shape;
      const tunable = attentionDecodeTunable(ctx, tuneShape);
      const report = await tuner.tune([tunable], { budgetMs: options.budgetMs });
      tunable.dispose?.();
      const result = report.results[0];
      if (!result) throw new Error('tuner returned no result');
      const full = attentionDecodeTunable(ctx, shape);
      const defaultConfig = full.candidates[full.defaultIndex] as KernelConfig;
      await full.prepare(defaultConfig);
      const defaultMs = await timer.time((e) => full.encode(e, defaultConfig), options.reps);
      await full.prepare(result.winner);
      const tunedMs = await timer.time((e) => full.encode(e, result.winner), options.reps);
      full.dispose?.();
      const row: AttentionBenchRow = {
        op: full.op,
        shape,
        dtype: 'f32',
        tunedOn: tuneShape,
        defaultMs,
        tunedMs,
        defaultGflops: full.work.flops / (defaultMs * 1e-3) / 1e9,
        tunedGflops: full.work.flops / (tunedMs * 1e-3) / 1e9,
        effectiveGBps: full.work.bytes / (tunedMs * 1e-3) / 1e9,
        timed: result.timed,
        candidates: result.candidates,
        winner: result.winner,
        tuneMs: result.tuneMs,
      };
      options.log?.(
        `${row.op} ${shape.sequences} seqs × ${shape.context} ctx, ${shape.nHeads}/${shape.nKvHeads} heads × ${shape.headDim}: default ${row.defaultGflops.toFixed(3)} → tuned ${row.tunedGflops.toFixed(3)} GFLOP/s (${result.cached ? 'cached' : `${result.timed}/${result.candidates} candidates, ${(result.tuneMs / 1000).toFixed(1)} s`})`,
      );
      rows.push(row);
    }
  } finally {
    timer.dispose();
  }
  return rows;
}
