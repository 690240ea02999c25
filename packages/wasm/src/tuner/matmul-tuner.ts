// Times matmul kernel candidates on this CPU with a wall clock, as the nn-JIT.web paper tunes
// its WebAssembly kernels in the browser: every candidate of a shape's tuning space compiled into
// one module, run on one thread over a scratch memory (each thread of the pool runs the same
// code on its share of rows, so the single-thread order is the pool's order), the fastest kept.
// A candidate whose first timing is 1.5× the best so far is dropped without more runs.
import { RuminateError } from '@ruminate/errors';
import { ModuleBuilder } from '../encoder/index.ts';
import { actRowBytes } from '../kernels/matmul/activation-layout.ts';
import { emitMatmul } from '../kernels/matmul/emit-matmul.ts';
import type { MatmulSpec } from '../kernels/matmul/matmul-spec.ts';
import { matmulTuningSpace } from '../kernels/matmul/tuning-space.ts';
import { formatOf, packedLayout, type WeightType } from '../weights/index.ts';

/** One matmul shape of a model, at the number of activation rows it is tuned for. */
export interface MatmulProblem {
  /** Weight type. */
  type: WeightType;
  /** Columns (inputs). */
  k: number;
  /** Rows (outputs). */
  n: number;
  /** Activation rows the timing runs (1 for decode; 16 for batched steps). */
  m: number;
}

/** The tunable part of a matmul specialisation. */
export interface MatmulChoice {
  /** Tiles of 4 weight rows per pass. */
  rowTiles: 1 | 2;
  /** Activation rows per pass. */
  actTile: number;
  /** Relaxed-SIMD dot products. */
  relaxed: boolean;
  /** Weight bytes per tile block. */
  blockBytes: number;
}

/** What tuning one problem found. */
export interface MatmulTuneResult {
  /** The problem. */
  problem: MatmulProblem;
  /** The fastest candidate. */
  choice: MatmulChoice;
  /** Its time, ms per call. */
  ms: number;
  /** The shipped default's time, ms per call. */
  defaultMs: number;
  /** Candidates timed. */
  timed: number;
}

/** Options of tuneMatmuls. */
export interface MatmulTuneOptions {
  /** Relaxed SIMD computes right here (features.relaxedSimd). */
  relaxedSimd: boolean;
  /** Wall-clock budget for all problems, ms (default 3000); problems left over keep the defaults. */
  budgetMs?: number;
  /** Called after each problem. */
  onProgress?: (done: number, total: number) => void;
  /** Stops between candidates. */
  signal?: AbortSignal;
}

/** The key of a problem in a tuning cache: type, shape and the activation-row bucket. */
export function matmulProblemKey(p: MatmulProblem): string {
  return `wasm-matmul|${p.type}|${p.k}x${p.n}|m${p.m === 1 ? 1 : 'n'}`;
}

/** The shipped default of a problem (what serves untuned). */
export function defaultMatmulChoice(type: WeightType, relaxedSimd: boolean): MatmulChoice {
  const d = matmulTuningSpace(type, relaxedSimd).defaults;
  return { rowTiles: d.rowTiles, actTile: d.actTile, relaxed: d.relaxed, blockBytes: d.blockBytes };
}

/** Candidates of a problem's space, the default first (actTile above m is pointless). */
export function matmulCandidates(p: MatmulProblem, relaxedSimd: boolean): MatmulChoice[] {
  const space = matmulTuningSpace(p.type, relaxedSimd);
  const out: MatmulChoice[] = [defaultMatmulChoice(p.type, relaxedSimd)];
  const same = (a: MatmulChoice, b: MatmulChoice) =>
    a.rowTiles === b.rowTiles &&
    a.actTile === b.actTile &&
    a.relaxed === b.relaxed &&
    a.blockBytes === b.blockBytes;
  for (const rowTiles of space.rowTiles) {
    for (const actTile of space.actTile) {
      if (actTile > Math.max(1, p.m)) continue;
      // Where relaxed SIMD computes right its dots beat the plain ones (1.7× on q4_0): time only those.
      for (const relaxed of relaxedSimd && space.relaxed.includes(true) ? [true] : space.relaxed) {
        // Block size only matters when activation rows come in more than one tile.
        for (const blockBytes of p.m > actTile ? space.blockBytes : [space.defaults.blockBytes]) {
          const c = { rowTiles, actTile, relaxed, blockBytes };
          if (!out.some((o) => same(o, c))) out.push(c);
        }
      }
    }
  }
  return out;
}

/** Times every problem's candidates; returns a result per problem that was tuned within the budget. */
export async function tuneMatmuls(
  problems: readonly MatmulProblem[],
  opts: MatmulTuneOptions,
): Promise<MatmulTuneResult[]> {
  const started = performance.now();
  const budget = opts.budgetMs ?? 3000;
  const results: MatmulTuneResult[] = [];
  for (const [i, p] of problems.entries()) {
    if (performance.now() - started > budget) break;
    if (opts.signal?.aborted) throw new RuminateError('aborted', 'Kernel tuning was cancelled.');
    results.push(await tuneOne(p, opts));
    opts.onProgress?.(i + 1, problems.length);
    // Let the page (or the engine's message loop) breathe between problems.
    await new Promise((r) => setTimeout(r, 0));
  }
  return results;
}

async function tuneOne(p: MatmulProblem, opts: MatmulTuneOptions): Promise<MatmulTuneResult> {
  const candidates = matmulCandidates(p, opts.relaxedSimd);
  const layout = packedLayout(p.type, p.n, p.k);
  const isF32 = formatOf(p.type).kind === 'f32';
  const xBytes = p.m * (isF32 ? 4 * p.k : actRowBytes(p.k));
  const yBytes = 4 * p.m * p.n;
  const w = 1024;
  const x = align(w + layout.bytes);
  const y = align(x + xBytes);
  const pages = Math.ceil((y + yBytes + 64) / 65536);
  const mod = new ModuleBuilder().importMemory({ initial: pages, maximum: pages });
  const names = candidates.map((c, i) => {
    const spec: MatmulSpec = { type: p.type, k: p.k, n: p.n, ...c, name: `c${i}` };
    return emitMatmul(mod, spec).name;
  });
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  // A byte pattern whose f32 reading is a small normal number: no denormal slow paths.
  new Uint8Array(memory.buffer).fill(0x11);
  const { exports } = await WebAssembly.instantiate(await WebAssembly.compile(mod.encode()), {
    env: { memory },
  });
  const fns = names.map((n) => exports[n] as (...a: number[]) => void);
  const call = (f: (...a: number[]) => void) => () => f(x, w, y, p.m, p.n, 0, 1);
  let best = Number.POSITIVE_INFINITY;
  let bestAt = 0;
  let defaultMs = Number.POSITIVE_INFINITY;
  let timed = 0;
  for (const [i, f] of fns.entries()) {
    if (opts.signal?.aborted) throw new RuminateError('aborted', 'Kernel tuning was cancelled.');
    const first = timeCall(call(f), 1);
    timed++;
    if (i > 0 && first > 1.5 * best) continue;
    const ms = Math.min(first, timeCall(call(f), 3));
    if (i === 0) defaultMs = ms;
    if (ms < best) {
      best = ms;
      bestAt = i;
    }
  }
  return { problem: p, choice: candidates[bestAt] as MatmulChoice, ms: best, defaultMs, timed };
}

/** ms per call: the best of `rounds` timings of enough calls to fill 2 ms. */
function timeCall(fn: () => void, rounds: number): number {
  fn();
  let reps = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    if (performance.now() - t >= 2 || reps >= 1 << 16) break;
    reps *= 2;
  }
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    best = Math.min(best, (performance.now() - t) / reps);
  }
  return best;
}

function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}
