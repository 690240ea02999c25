// Kernel choices of the CPU backend on this device: winners cached per CPU identity in the same
// store as the WebGPU winners (IndexedDB in browsers, a JSON file in Node), and on a first visit
// the model's matmul shapes timed within a budget before the kernels compile (a few seconds for a
// small model; the next load finds them all cached and times nothing).
import { defaultTuningStore, type TuningRecord, type TuningStore } from '@ruminate/gpu';
import { type MatmulChoice, matmulProblemKey, tuneMatmuls, type WasmFeatures } from '@ruminate/wasm';
import type { WasmKernels } from '../model/wasm/wasm-kernels.ts';
import type { ModelTensors } from '../model/wasm/wasm-tensors.ts';
import type { LoadProgress } from './types.ts';

/** How the CPU backend picks its kernels' parameters. */
export interface WasmTuningOptions {
  /** `background` (default): cached winners, and the model's untuned shapes timed at load; `cache`: cached only; `off`: shipped defaults. */
  mode?: 'background' | 'cache' | 'off';
  /** Where winners persist (default: IndexedDB in browsers, `$RUMINATE_CACHE_DIR/tuning.json` in Node). */
  store?: TuningStore;
  /** Timing budget at load, ms (default 3000). */
  budgetMs?: number;
  /** Progress of the timing (phase `tune`). */
  onProgress?: (p: LoadProgress) => void;
  /** Stops the timing. */
  signal?: AbortSignal;
}

/** What tuning did at one load. */
export interface WasmTuningReport {
  /** Problems whose winner came from the cache. */
  cached: number;
  /** Problems timed now. */
  timed: number;
  /** Problems left on the default (budget spent). */
  untuned: number;
  /** ms spent timing. */
  ms: number;
}

/** The identity CPU winners are keyed by: the engine (browser user agent or Node version), cores and SIMD features. */
export function wasmTuningIdentity(features: WasmFeatures): string {
  const g = globalThis as {
    navigator?: { userAgent?: string; hardwareConcurrency?: number };
    process?: NodeJS.Process;
  };
  const engine =
    g.navigator?.userAgent ?? `node ${g.process?.versions?.node ?? '?'} v8 ${g.process?.versions?.v8 ?? '?'}`;
  const cores = g.navigator?.hardwareConcurrency ?? 0;
  return ['wasm', engine, `${cores} cores`, features.relaxedSimd ? 'relaxed-simd' : 'simd128'].join('|');
}

/** Applies cached (and, in `background` mode, newly timed) matmul winners to `kernels`. */
export async function applyWasmTuning(
  kernels: WasmKernels,
  tensors: ModelTensors,
  features: WasmFeatures,
  opts: WasmTuningOptions = {},
): Promise<WasmTuningReport> {
  const mode = opts.mode ?? 'background';
  const problems = kernels.matmulProblems(tensors);
  const report: WasmTuningReport = { cached: 0, timed: 0, untuned: problems.length, ms: 0 };
  if (mode === 'off') return report;
  const store = opts.store ?? (await defaultTuningStore().catch(() => undefined));
  const identity = wasmTuningIdentity(features);
  // A missing or unreadable cache only means the defaults serve.
  const records = (await store?.load().catch(() => undefined)) ?? {};
  const missing = problems.filter((p) => {
    const rec = records[`${identity}|${matmulProblemKey(p)}`];
    if (!rec) return true;
    kernels.choose(p, choiceOf(rec));
    report.cached++;
    return false;
  });
  report.untuned = missing.length;
  if (mode !== 'background' || missing.length === 0) return report;
  const started = performance.now();
  opts.onProgress?.({ phase: 'tune', done: 0, total: missing.length });
  const results = await tuneMatmuls(missing, {
    relaxedSimd: features.relaxedSimd,
    budgetMs: opts.budgetMs ?? 3000,
    onProgress: (done, total) => opts.onProgress?.({ phase: 'tune', done, total }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const fresh: Record<string, TuningRecord> = {};
  const at = new Date().toISOString();
  for (const r of results) {
    kernels.choose(r.problem, r.choice);
    fresh[`${identity}|${matmulProblemKey(r.problem)}`] = {
      config: {
        constants: {
          rowTiles: r.choice.rowTiles,
          actTile: r.choice.actTile,
          relaxed: r.choice.relaxed ? 1 : 0,
          blockBytes: r.choice.blockBytes,
        },
      },
      ms: r.ms,
      defaultMs: r.defaultMs,
      timed: r.timed,
      at,
    };
  }
  await store?.save(fresh).catch(() => undefined);
  report.timed = results.length;
  report.untuned = missing.length - results.length;
  report.ms = performance.now() - started;
  return report;
}

function choiceOf(rec: TuningRecord): MatmulChoice {
  const c = rec.config.constants;
  return {
    rowTiles: c.rowTiles === 2 ? 2 : 1,
    actTile: c.actTile ?? 4,
    relaxed: c.relaxed === 1,
    blockBytes: c.blockBytes ?? 65536,
  };
}
