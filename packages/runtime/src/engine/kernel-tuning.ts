// Tuning the kernels for the loaded model's own shapes: every distinct matmul problem the
// model poses (modelMatmulProblems) becomes a Tunable; the tuner times candidates within a
// budget and persists winners, which ops pick up at their next encode (the shipped default
// serves until then). The engine runs this in the background after a load; `ruminate tune`
// runs it in the foreground.
import {
  GEMV_MAX_M,
  type KernelContext,
  matmulShapeBucket,
  matmulTunable,
  reducedMatmulShape,
  type Tunable,
  type TuneReport,
  type Tuner,
} from '@ruminate/gpu';
import type { GgufTensorInfo } from '../gguf/types.ts';
import { type ModelMatmulProblem, modelMatmulProblems, TUNED_ROW_COUNTS } from '../model/matmul-problems.ts';

/** How to tune a model's kernels. */
export interface ModelTuningOptions {
  /**
   * Total tuning time, compile time included (default 30 000 ms; 15 000 on a CPU adapter, whose
   * CPU-shaped shipped defaults leave little to gain and whose tuning runs on the cores the
   * model decodes on).
   */
  budgetMs?: number;
  /**
   * Time GEMM candidates (prefill rows) on k/4 × n/4 sizes (default: on CPU adapters and
   * SwiftShader). GEMV candidates always run at full size: a decode GEMV takes milliseconds even
   * there, less than compiling a candidate, and k/4 sizes misranked them on SwiftShader (the
   * winners ran at 0.79–0.90× the CPU defaults at full size, 2026-12-03).
   */
  reduced?: boolean;
  /** Activation-row counts to tune (default 1, 4, 16, 128: decode batches and the prefill chunk). */
  rows?: readonly number[];
  /** Re-tune problems that already have a cached winner. */
  force?: boolean;
  /** Stops tuning; winners found so far are kept. */
  signal?: AbortSignal;
  /** Called after each timed candidate. */
  onProgress?: (p: ModelTuningProgress) => void;
}

/** Progress of a model's tuning. */
export interface ModelTuningProgress {
  /** Problems finished (winner chosen or cached). */
  done: number;
  /** Problems in all. */
  total: number;
  /** The op and shape bucket being tuned. */
  op: string;
  bucket: string;
}

/**
 * Default background budget on CPU adapters. Their shipped defaults are CPU-shaped (tuned
 * decode ran at 0.97–1.16× them on SwiftShader, 2026-12-03) and tuning shares the cores the
 * model decodes on, so a first visit spends 15 s, not 60; what is left waits for the next load.
 */
export const CPU_ADAPTER_BUDGET_MS = 15_000;

/** A tuned problem with the tensors it serves. */
export interface ModelTuningTunable extends Tunable {
  /** Candidate ids, parallel to `candidates`. */
  ids: readonly string[];
  /** The model problem (full size) this tunable stands for. */
  problem: ModelMatmulProblem;
}

/**
 * The model's matmul problems as tunables, decode rows first (what users wait on), each
 * bucketed by its full size even when timed on a reduced one. Dispose them after tuning.
 */
export function modelTunables(
  ctx: KernelContext,
  tensors: readonly GgufTensorInfo[],
  opts: { rows?: readonly number[]; reduced: boolean },
): ModelTuningTunable[] {
  const problems = modelMatmulProblems(tensors, opts.rows ?? TUNED_ROW_COUNTS).sort((a, b) => a.m - b.m);
  return problems.map((p) => {
    const t = matmulTunable(ctx, opts.reduced && p.m > GEMV_MAX_M ? reducedMatmulShape(p) : p);
    return { ...t, bucket: matmulShapeBucket(p.m, p.k, p.n, p.dtype), problem: p };
  });
}

/** Tunes the model's matmul problems on `tuner`'s device; winners persist in its store. */
export async function tuneModelKernels(
  ctx: KernelContext,
  tuner: Tuner,
  tensors: readonly GgufTensorInfo[],
  opts: ModelTuningOptions & { architecture?: string } = {},
): Promise<{ report: TuneReport; tunables: ModelTuningTunable[] }> {
  const cpu = ctx.cpuAdapter === true || opts.architecture === 'swiftshader';
  const tunables = modelTunables(ctx, tensors, { rows: opts.rows, reduced: opts.reduced ?? cpu });
  try {
    let done = 0;
    let current = '';
    const report = await tuner.tune(tunables, {
      budgetMs: opts.budgetMs ?? (cpu ? CPU_ADAPTER_BUDGET_MS : 30_000),
      ...(opts.force ? { force: true } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      onProgress: (p) => {
        const key = `${p.op}|${p.bucket}`;
        if (key !== current) {
          if (current) done++;
          current = key;
        }
        opts.onProgress?.({ done, total: tunables.length, op: p.op, bucket: p.bucket });
      },
    });
    return { report, tunables };
  } finally {
    for (const t of tunables) t.dispose?.();
  }
}
