// The attention part of `ruminate bench kernels`: paged decode attention for many sequences
// at a long context (the 16 sequences × 1k), tuned within a budget (on a quarter of
// the sequences and context on slow adapters), then default and winner timed on the full shape.
import {
  type AttentionDecodeShape,
  attentionDecodeTunable,
  type KernelContext,
  type Tuner,
} from '@ruminate/gpu';
import type { SuiteOptions } from './matmul-suite.ts';
import { describeTiming, type TunedTiming, tuneAndTime } from './tune-and-time.ts';

/** The problem the issue names, with Llama-3.2-1B's heads (32 q / 8 kv, head dim 64). */
export const ATTENTION_SHAPES: readonly AttentionDecodeShape[] = [
  { sequences: 16, context: 1024, nHeads: 32, nKvHeads: 8, headDim: 64 },
];

/** One measured attention problem. */
export interface AttentionBenchRow extends TunedTiming {
  shape: AttentionDecodeShape;
  tunedOn: AttentionDecodeShape;
}

/** Runs the suite; `tuner` decides and persists winners. */
export async function runAttentionSuite(
  ctx: KernelContext,
  tuner: Tuner,
  options: SuiteOptions,
): Promise<AttentionBenchRow[]> {
  const rows: AttentionBenchRow[] = [];
  for (const shape of ATTENTION_SHAPES) {
    const tunedOn = options.reduced
      ? { ...shape, sequences: Math.max(1, shape.sequences / 4), context: Math.max(64, shape.context / 4) }
      : shape;
    const t = await tuneAndTime(
      tuner,
      ctx.device,
      attentionDecodeTunable(ctx, tunedOn),
      attentionDecodeTunable(ctx, shape),
      {
        budgetMs: options.budgetMs / ATTENTION_SHAPES.length,
        reps: options.reps,
      },
    );
    options.log?.(describeTiming(`${shape.sequences} seqs × ${shape.context} ctx`, t));
    rows.push({ ...t, shape, tunedOn });
  }
  return rows;
}
