// The MoE part of `ruminate bench kernels`: gating + expert matmul with 64 experts, top-8
// (Qwen1.5-MoE-like expert width), decode (1 token) and a 16-sequence batch, tuned within a
// budget (on k/4 × n/4 on slow adapters: 64 experts keep the workgroups many), then default and winner timed on the full shape.
import { type KernelContext, type MoeShape, moeTunable, type Tuner } from '@ruminate/gpu';
import type { SuiteOptions } from './matmul-suite.ts';
import { describeTiming, type TunedTiming, tuneAndTime } from './tune-and-time.ts';

/** 64 experts of 1408 × 2048, top-8, q8_0 and q4_0 weights. */
export const MOE_SHAPES: readonly MoeShape[] = [1, 16].flatMap((rows) =>
  (['q8_0', 'q4_0'] as const).map((dtype) => ({ rows, experts: 64, topk: 8, n: 1408, k: 2048, dtype })),
);

/** One measured MoE problem. */
export interface MoeBenchRow extends TunedTiming {
  shape: MoeShape;
  tunedOn: MoeShape;
}

/** Runs the suite; `tuner` decides and persists winners. */
export async function runMoeSuite(
  ctx: KernelContext,
  tuner: Tuner,
  options: SuiteOptions,
): Promise<MoeBenchRow[]> {
  const rows: MoeBenchRow[] = [];
  for (const shape of MOE_SHAPES) {
    const tunedOn = options.reduced ? { ...shape, k: shape.k / 4, n: shape.n / 4 } : shape;
    const t = await tuneAndTime(
      tuner,
      ctx.device,
      await moeTunable(ctx, tunedOn),
      await moeTunable(ctx, shape),
      {
        budgetMs: options.budgetMs / MOE_SHAPES.length,
        reps: options.reps,
      },
    );
    options.log?.(
      describeTiming(`${shape.rows} rows, ${shape.experts} experts top-${shape.topk} ${shape.dtype}`, t),
    );
    rows.push({ ...t, shape, tunedOn });
  }
  return rows;
}
