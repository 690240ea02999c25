// The CPU backend's counterpart of the WebGPU DeviceProfile: what this engine's WebAssembly can
// do (SIMD128, relaxed SIMD that computes right, threads over shared memory, cores) and two
// measured numbers that bound the wasm backend's decode speed — a one-thread memory sweep (GB/s)
// and a one-thread q4_0 GEMV of a 1B model's 2048×2048 projection (GFLOP/s), through the same
// generated kernel the runtime runs. About a few hundred ms in all; works in Node, pages and
// workers alike (no shared memory needed). `ruminate device` prints it; the playground may too.
import { ModuleBuilder } from '../encoder/index.ts';
import { detectWasmFeatures, type WasmFeatures } from '../features.ts';
import { actRowBytes } from '../kernels/matmul/activation-layout.ts';
import { emitMatmul } from '../kernels/matmul/emit-matmul.ts';
import { emitQuantizeActivations } from '../kernels/matmul/quantize-activations.ts';
import { hardwareThreads, planThreading } from '../pool/threading.ts';
import { defaultMatmulChoice } from '../tuner/matmul-tuner.ts';
import { packedLayout, repack } from '../weights/index.ts';
import { emitMemorySweep, SWEEP_CHUNK, syntheticGgufWeights, timeBest } from './kernel-timing.ts';

/** What measureCpuProfile found. */
export interface CpuProfile {
  /** The WebAssembly features probed (detectWasmFeatures). */
  features: WasmFeatures;
  /** Cores the engine reports (os.availableParallelism / navigator.hardwareConcurrency). */
  cores: number;
  /** Threads the wasm backend's pool would use here. */
  threads: number;
  /** Why that many (e.g. the two headers a page needs for threads). */
  threadingReason: string;
  /** One thread summing `sweepBytes` with v128 loads: GB/s (bounds a memory-bound GEMV). */
  memorySweepGBps: number;
  /** Bytes swept (far above the caches). */
  sweepBytes: number;
  /** One thread, q4_0 GEMV (m = 1) of 2048×2048 weights over 8-bit activations: GFLOP/s (2·n·k per call). */
  q4_0GemvGflops: number;
  /** The same timing as packed weight bytes per second. */
  q4_0GemvWeightGBps: number;
  /** Whether that kernel used relaxed-SIMD dots (only where relaxed SIMD computes right). */
  q4_0GemvRelaxed: boolean;
  /** Wall time of the whole measurement, ms. */
  measureMs: number;
  /** When it was measured (ISO 8601). */
  measuredAt: string;
}

/** Options of measureCpuProfile. */
export interface CpuProfileOptions {
  /** Bytes the memory sweep reads (default 32 MiB). */
  sweepBytes?: number;
  /** Each timing's rounds take at least this long, ms (default 40; 3 rounds, the best counts). */
  minRoundMs?: number;
}

const GEMV_K = 2048;
const GEMV_N = 2048;

/**
 * Probes the WebAssembly features and measures a one-thread memory sweep and q4_0 GEMV.
 * Never throws for a missing feature: without SIMD128 the measured numbers are 0 and
 * `features` says why. It needs no shared memory and no workers.
 */
export async function measureCpuProfile(opts: CpuProfileOptions = {}): Promise<CpuProfile> {
  const started = performance.now();
  const features = detectWasmFeatures();
  const cores = await hardwareThreads();
  const threading = await planThreading();
  const base: Omit<CpuProfile, 'memorySweepGBps' | 'q4_0GemvGflops' | 'q4_0GemvWeightGBps' | 'measureMs'> = {
    features,
    cores,
    threads: threading.threads,
    threadingReason: threading.reason,
    sweepBytes: 0,
    q4_0GemvRelaxed: false,
    measuredAt: new Date().toISOString(),
  };
  if (!features.simd128) {
    return { ...base, memorySweepGBps: 0, q4_0GemvGflops: 0, q4_0GemvWeightGBps: 0, measureMs: 0 };
  }
  const timing = { minRoundMs: opts.minRoundMs ?? 40, rounds: 3 };
  const sweepChunks = Math.ceil((opts.sweepBytes ?? 32 * 2 ** 20) / SWEEP_CHUNK);
  const sweepBytes = sweepChunks * SWEEP_CHUNK;
  const layout = packedLayout('q4_0', GEMV_N, GEMV_K);
  // Layout: [64 B guard][sums 64 B][swept buffer, which also holds the weights][x][xq][y].
  const sums = 64;
  const buf = 128;
  const x = buf + Math.max(sweepBytes, layout.bytes);
  const xq = x + 4 * GEMV_K;
  const y = xq + actRowBytes(GEMV_K) + 64;
  const pages = Math.ceil((y + 4 * GEMV_N + 64) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const words = new Uint32Array(memory.buffer);
  for (let i = 0; i < words.length; i++) words[i] = (i * 2654435761) >>> 0;

  const relaxed = defaultMatmulChoice('q4_0', features.relaxedSimd);
  const mod = new ModuleBuilder().importMemory({ initial: pages, maximum: pages });
  const sweepName = emitMemorySweep(mod);
  const quant = emitQuantizeActivations(mod, { k: GEMV_K });
  const gemv = emitMatmul(mod, { type: 'q4_0', k: GEMV_K, n: GEMV_N, ...relaxed });
  const { instance } = await WebAssembly.instantiate(mod.encode(), { env: { memory } });
  const ex = instance.exports as Record<string, (...a: number[]) => void>;

  const sweep = ex[sweepName] as (...a: number[]) => void;
  const sweepMs = await timeBest(() => sweep(buf, sweepChunks, sums, 0, 1), timing);

  repack(
    'q4_0',
    syntheticGgufWeights('q4_0', GEMV_N, GEMV_K),
    GEMV_N,
    GEMV_K,
    new Uint8Array(memory.buffer, buf, layout.bytes),
  );
  const xs = new Float32Array(memory.buffer, x, GEMV_K);
  for (let i = 0; i < xs.length; i++) xs[i] = Math.random() * 2 - 1;
  ex[quant.name]?.(x, xq, 1, GEMV_K, 0, 1);
  const mm = ex[gemv.name] as (...a: number[]) => void;
  const gemvMs = await timeBest(() => mm(xq, buf, y, 1, GEMV_N, 0, 1), timing);

  return {
    ...base,
    sweepBytes,
    memorySweepGBps: sweepBytes / (sweepMs * 1e6),
    q4_0GemvGflops: (2 * GEMV_N * GEMV_K) / (gemvMs * 1e6),
    q4_0GemvWeightGBps: layout.bytes / (gemvMs * 1e6),
    q4_0GemvRelaxed: relaxed.relaxed,
    measureMs: performance.now() - started,
  };
}
