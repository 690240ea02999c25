// The pattern every kernel suite shares: tune a problem (on a reduced size on slow
// adapters, the winner kept under the full problem's bucket), then time the shipped default
// and the winner on the full size with the GPU timer.
import { createGpuTimer, type KernelConfig, median, type Tunable, type Tuner } from '@ruminate/gpu';

/** Default vs tuned on one problem. */
export interface TunedTiming {
  /** Op name. */
  op: string;
  /** Shipped default's median ms on the full problem. */
  defaultMs: number;
  /** Winner's median ms on the full problem. */
  tunedMs: number;
  /** Work of one full run. */
  work: { flops: number; bytes: number };
  /** The winner. */
  winner: KernelConfig;
  /** Candidates timed and declared. */
  timed: number;
  candidates: number;
  /** Wall ms spent tuning (0 when cached). */
  tuneMs: number;
  /** True when the winner came from the tuning cache. */
  cached: boolean;
}

/**
 * Tunes `tuneOn` (bucket replaced by `full`'s) within `budgetMs`, then times default and winner
 * on `full`. Both tunables are disposed.
 */
export async function tuneAndTime(
  tuner: Tuner,
  device: GPUDevice,
  tuneOn: Tunable,
  full: Tunable,
  options: { budgetMs: number; reps: number },
): Promise<TunedTiming> {
  const report = await tuner.tune([{ ...tuneOn, bucket: full.bucket }], {
    budgetMs: Math.max(0, options.budgetMs),
  });
  if (tuneOn !== full) tuneOn.dispose?.();
  const result = report.results[0];
  if (!result) throw new Error(`the tuner returned nothing for ${full.op}`);
  const timer = createGpuTimer(device);
  try {
    const defaultConfig = full.candidates[full.defaultIndex] as KernelConfig;
    const same = JSON.stringify(defaultConfig) === JSON.stringify(result.winner);
    await full.prepare(defaultConfig);
    if (!same) await full.prepare(result.winner);
    // Interleaved rounds, so drift in a shared machine's load hits both alike; medians compared.
    const defaults: number[] = [];
    const tuned: number[] = [];
    for (let r = 0; r < options.reps; r++) {
      defaults.push(await timer.time((e) => full.encode(e, defaultConfig), 1));
      if (!same) tuned.push(await timer.time((e) => full.encode(e, result.winner), 1));
    }
    const defaultMs = median(defaults);
    const tunedMs = same ? defaultMs : median(tuned);
    return {
      op: full.op,
      defaultMs,
      tunedMs,
      work: full.work,
      winner: result.winner,
      timed: result.timed,
      candidates: result.candidates,
      tuneMs: result.tuneMs,
      cached: result.cached,
    };
  } finally {
    timer.dispose();
    full.dispose?.();
  }
}

/** GFLOP/s of `flops` in `ms`. */
export const gflops = (flops: number, ms: number): number => flops / (ms * 1e-3) / 1e9;

/** One progress line for a timed problem. */
export function describeTiming(label: string, t: TunedTiming): string {
  const how = t.cached
    ? 'cached'
    : `${t.timed}/${t.candidates} candidates, ${(t.tuneMs / 1000).toFixed(1)} s`;
  return `${t.op} ${label}: default ${gflops(t.work.flops, t.defaultMs).toFixed(3)} → tuned ${gflops(t.work.flops, t.tunedMs).toFixed(3)} GFLOP/s (${how})`;
}
