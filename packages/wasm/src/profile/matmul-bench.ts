// The wasm matmul kernels timed on model shapes: GFLOP/s and weight GB/s per shape, weight type
// and activation rows, on one thread (the kernel called directly) and on all threads (programs
// of the same op run by the real ThreadPool over one shared memory, so every op pays the pool's
// barrier), beside a memory sweep of the same bytes on as many threads. Used by
// `ruminate bench kernels --backend wasm` and packages/wasm/bench-matmul.ts.
import { ModuleBuilder } from '../encoder/index.ts';
import { detectWasmFeatures, type WasmFeatures } from '../features.ts';
import { actRowBytes } from '../kernels/matmul/activation-layout.ts';
import { emitMatmul } from '../kernels/matmul/emit-matmul.ts';
import { emitQuantizeActivations } from '../kernels/matmul/quantize-activations.ts';
import { controlBytes } from '../pool/control.ts';
import { Program } from '../pool/program.ts';
import { ThreadPool } from '../pool/thread-pool.ts';
import { planThreading, type ThreadingInfo } from '../pool/threading.ts';
import { defaultMatmulChoice, type MatmulChoice } from '../tuner/matmul-tuner.ts';
import { formatOf, packedLayout, repack, sourceRowBytes } from '../weights/index.ts';
import {
  type BenchWeightType,
  emitMemorySweep,
  SWEEP_CHUNK,
  syntheticGgufWeights,
  type TimingOptions,
  timeBest,
} from './kernel-timing.ts';

/** One weight matrix of a model: y (n) = W (n × k) · x (k). */
export interface MatmulBenchShape {
  /** Which model it comes from (e.g. '31M', '1B'). */
  model: string;
  /** What it computes (e.g. 'qkv', 'gate|up'). */
  op: string;
  /** Inputs (columns of W). */
  k: number;
  /** Outputs (rows of W). */
  n: number;
}

/**
 * The 31M llama of the benchmarks (bench/peers/fixture.ts: width 512, 8 q / 4 kv heads of 64,
 * FFN 1376, vocab 8000) as the wasm backend runs it (q|k|v and gate|up fused), and a 1B-class
 * model's square, up and down projections.
 */
export const WASM_BENCH_SHAPES: readonly MatmulBenchShape[] = [
  { model: '31M', op: 'qkv', k: 512, n: 1024 },
  { model: '31M', op: 'attn out', k: 512, n: 512 },
  { model: '31M', op: 'gate|up', k: 512, n: 2752 },
  { model: '31M', op: 'down', k: 1376, n: 512 },
  { model: '31M', op: 'lm head', k: 512, n: 8000 },
  { model: '1B', op: 'square', k: 2048, n: 2048 },
  { model: '1B', op: 'up', k: 2048, n: 8192 },
  { model: '1B', op: 'down', k: 8192, n: 2048 },
];

/** A timing: ms per call, and what it works out to. */
export interface MatmulTiming {
  /** Compute threads. */
  threads: number;
  /** ms per matmul. */
  ms: number;
  /** 2·m·n·k / time. */
  gflops: number;
  /** Packed weight bytes / time (every weight byte is read once per call). */
  weightGBps: number;
  /** A plain memory sweep of the same bytes on as many threads, GB/s. */
  sweepGBps: number;
}

/** One row of the benchmark: a shape × weight type × activation rows. */
export interface WasmMatmulBenchRow extends MatmulBenchShape {
  /** GGUF weight type. */
  type: BenchWeightType;
  /** Activation rows. */
  m: number;
  /** Why this combination was not timed (e.g. k not a multiple of the type's 256-value block). */
  skipped?: string;
  /** The kernel timed (the shipped default for the type). */
  choice?: MatmulChoice;
  /** Bytes the kernel reads per call (the repacked weights). */
  packedBytes?: number;
  /** Bytes of the same weights in the GGUF file. */
  ggufBytes?: number;
  /** The kernel called directly on this thread. */
  oneThread?: MatmulTiming;
  /** The same kernel through the thread pool on every thread (null when the pool is single-threaded). */
  allThreads?: MatmulTiming | null;
}

/** Options of benchWasmMatmuls. */
export interface WasmMatmulBenchOptions {
  /** Shapes (default WASM_BENCH_SHAPES). */
  shapes?: readonly MatmulBenchShape[];
  /** Weight types. */
  types: readonly BenchWeightType[];
  /** Activation rows to time (each ≤ 16). */
  ms: readonly number[];
  /** Threads of the all-threads column (default every core); 1 leaves it out. */
  threads?: number;
  /** Timer settings (default: rounds of ≥ 20 ms, best of 3). */
  timing?: TimingOptions;
  /** Called after each row. */
  onRow?: (row: WasmMatmulBenchRow) => void;
}

/** What benchWasmMatmuls measured. */
export interface WasmMatmulBench {
  /** The features the kernels were built for (relaxed dots only where relaxed SIMD computes right). */
  features: WasmFeatures;
  /** The pool's threads and why. */
  threading: ThreadingInfo;
  /** A memory sweep over a buffer far larger than the caches. */
  sweep: { bytes: number; oneThreadGBps: number; allThreadsGBps: number | null };
  /** One row per shape × type × m. */
  rows: WasmMatmulBenchRow[];
}

const MAX_M = 16;
/** Ops per program of the all-threads timings (each op ends at a barrier). */
const MAX_OPS = 256;
const SWEEP_BYTES = 64 * 2 ** 20;
const PAGE = 65536;

const align = (n: number, a = 64) => Math.ceil(n / a) * a;

/** Times every shape × type × m (see the module comment); combinations a type cannot hold are skipped rows. */
export async function benchWasmMatmuls(opts: WasmMatmulBenchOptions): Promise<WasmMatmulBench> {
  const shapes = opts.shapes ?? WASM_BENCH_SHAPES;
  if (opts.ms.some((m) => !Number.isInteger(m) || m < 1 || m > MAX_M)) {
    throw new RangeError(`benchWasmMatmuls: m must be integers in 1…${MAX_M}, got ${opts.ms.join(', ')}`);
  }
  const features = detectWasmFeatures();
  const threading = await planThreading(opts.threads);
  const shared = threading.threads > 1;
  const timing = opts.timing ?? {};
  const minRoundMs = timing.minRoundMs ?? 20;

  const jobs = shapes.flatMap((s) =>
    opts.types.map((type) => {
      const block = formatOf(type).sourceBlock;
      const skipped =
        s.k % block === 0 ? undefined : `k = ${s.k} is not a multiple of ${type}'s ${block}-value block`;
      return { ...s, type, skipped };
    }),
  );
  const live = jobs.filter((j) => !j.skipped);
  const maxK = Math.max(...shapes.map((s) => s.k));
  const maxN = Math.max(...shapes.map((s) => s.n));
  const maxW = Math.max(SWEEP_BYTES, ...live.map((j) => packedLayout(j.type, j.n, j.k).bytes));

  // Layout: guard, control region, sweep sums, weights (also the sweep's buffer), x, xq, y.
  const control = { offset: 64, bytes: controlBytes(MAX_OPS) };
  const sums = align(control.offset + control.bytes);
  const W = align(sums + 64 * 64);
  const X = align(W + maxW);
  const XQ = align(X + 4 * MAX_M * maxK);
  const Y = align(XQ + MAX_M * actRowBytes(maxK));
  const pages = Math.ceil((Y + 4 * MAX_M * maxN + 64) / PAGE);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
  // Touch every page (untouched pages map one zero page, which stays in cache).
  const words = new Uint32Array(memory.buffer);
  for (let i = 0; i < words.length; i++) words[i] = (i * 2654435761) >>> 0;
  const x = new Float32Array(memory.buffer, X, MAX_M * maxK);
  for (let i = 0; i < x.length; i++) x[i] = Math.random() * 2 - 1;

  const mod = new ModuleBuilder().importMemory({ initial: pages, maximum: pages, shared });
  const names: string[] = [emitMemorySweep(mod)];
  const quantizers = new Map<number, string>();
  for (const k of new Set(live.filter((j) => formatOf(j.type).kind !== 'f32').map((j) => j.k))) {
    quantizers.set(k, emitQuantizeActivations(mod, { k, name: `quantize_k${k}` }).name);
  }
  names.push(...quantizers.values());
  const kernelOf = live.map((j) => {
    const choice = defaultMatmulChoice(j.type, features.relaxedSimd);
    const name = emitMatmul(mod, {
      type: j.type,
      k: j.k,
      n: j.n,
      ...choice,
      name: `mm_${j.type}_${j.k}x${j.n}`,
    }).name;
    names.push(name);
    return { job: j, choice, name };
  });
  const module = await WebAssembly.compile(mod.encode());
  const local = (await WebAssembly.instantiate(module, { env: { memory } })).exports as Record<
    string,
    (...a: number[]) => void
  >;
  const fnIndex = (name: string) => names.indexOf(name);
  const pool = shared
    ? await ThreadPool.create({ module, memory, exportNames: names, control, threads: threading.threads })
    : undefined;
  const poolThreads = pool && pool.info.threads > 1 ? pool.info.threads : 0;

  /** ms per op of `op` run `reps` times in one program by the pool. */
  const poolTime = async (fn: number, args: number[], singleMs: number) => {
    if (!pool || poolThreads === 0) return null;
    const reps = Math.max(
      1,
      Math.min(MAX_OPS, Math.ceil((minRoundMs * poolThreads) / Math.max(singleMs, 1e-3))),
    );
    const program = Program.from(Array.from({ length: reps }, () => ({ fn, args })));
    return (await timeBest(() => pool.run(program), { ...timing, minRoundMs })) / reps;
  };
  const sweepOne = (bytes: number) => {
    const chunks = Math.ceil(bytes / SWEEP_CHUNK);
    return timeBest(() => local.memory_sweep?.(W, chunks, sums, 0, 1), timing).then((ms) => ({ ms, chunks }));
  };
  const sweepGBps = async (bytes: number) => {
    const { ms, chunks } = await sweepOne(bytes);
    const all = await poolTime(fnIndex('memory_sweep'), [W, chunks, sums], ms);
    const b = chunks * SWEEP_CHUNK;
    return { one: b / (ms * 1e6), all: all === null ? null : b / (all * 1e6) };
  };

  try {
    const big = await sweepGBps(SWEEP_BYTES);
    const rows: WasmMatmulBenchRow[] = [];
    const emit = (row: WasmMatmulBenchRow) => {
      rows.push(row);
      opts.onRow?.(row);
    };
    for (const j of jobs) {
      const kernel = kernelOf.find((c) => c.job === j);
      if (!kernel) {
        for (const m of opts.ms)
          emit({ model: j.model, op: j.op, k: j.k, n: j.n, type: j.type, m, skipped: j.skipped });
        continue;
      }
      const layout = packedLayout(j.type, j.n, j.k);
      repack(
        j.type,
        syntheticGgufWeights(j.type, j.n, j.k),
        j.n,
        j.k,
        new Uint8Array(memory.buffer, W, layout.bytes),
      );
      const isF32 = formatOf(j.type).kind === 'f32';
      const q = quantizers.get(j.k);
      if (q) local[q]?.(X, XQ, MAX_M, j.k, 0, 1);
      const input = isF32 ? X : XQ;
      const sweep = await sweepGBps(layout.bytes);
      const fn = local[kernel.name] as (...a: number[]) => void;
      for (const m of opts.ms) {
        const args = [input, W, Y, m, j.n];
        const flop = 2 * m * j.n * j.k;
        const timingOf = (threads: number, ms: number, sweepAt: number): MatmulTiming => ({
          threads,
          ms,
          gflops: flop / (ms * 1e6),
          weightGBps: layout.bytes / (ms * 1e6),
          sweepGBps: sweepAt,
        });
        const one = await timeBest(() => fn(...args, 0, 1), timing);
        const all = await poolTime(fnIndex(kernel.name), args, one);
        emit({
          model: j.model,
          op: j.op,
          k: j.k,
          n: j.n,
          type: j.type,
          m,
          choice: kernel.choice,
          packedBytes: layout.bytes,
          ggufBytes: j.n * sourceRowBytes(j.type, j.k),
          oneThread: timingOf(1, one, sweep.one),
          allThreads: all === null || sweep.all === null ? null : timingOf(poolThreads, all, sweep.all),
        });
      }
    }
    return {
      features,
      threading: pool ? pool.info : threading,
      sweep: { bytes: SWEEP_BYTES, oneThreadGBps: big.one, allThreadsGBps: big.all },
      rows,
    };
  } finally {
    await pool?.destroy();
  }
}
