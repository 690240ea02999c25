// Shared pieces of the CPU backend's micro-benchmarks (`ruminate bench kernels --backend wasm`,
// `ruminate device`, packages/wasm/bench-matmul.ts): a wall-clock timer that takes the best of
// a few rounds (the machines are shared), a memory-sweep kernel that bounds what a memory-bound
// GEMV can reach, and GGUF-shaped random weights of every benchmarked type.
import type { Local, ModuleBuilder } from '../encoder/index.ts';
import { emitShare, THREAD_PARAMS } from '../kernels/thread-share.ts';
import { formatOf, type WeightType } from '../weights/index.ts';

/** How long and how often timeBest measures. */
export interface TimingOptions {
  /** Each round runs enough calls to take at least this long, ms (default 20). */
  minRoundMs?: number;
  /** Rounds; the fastest counts (default 3). */
  rounds?: number;
}

/** ms per call of `fn` (sync or async): one warm-up call, then the best of `rounds` rounds of ≥ `minRoundMs`. */
export async function timeBest(fn: () => void | Promise<void>, opts: TimingOptions = {}): Promise<number> {
  const minMs = opts.minRoundMs ?? 20;
  const rounds = opts.rounds ?? 3;
  await fn();
  let reps = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) await fn();
    const dt = performance.now() - t;
    if (dt >= minMs || reps >= 1 << 20) {
      let best = dt / reps;
      for (let r = 1; r < rounds; r++) {
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) await fn();
        best = Math.min(best, (performance.now() - t0) / reps);
      }
      return best;
    }
    reps = dt <= 0 ? reps * 8 : Math.min(reps * 8, Math.max(reps * 2, Math.ceil((reps * minMs * 1.2) / dt)));
  }
}

/** Bytes the memory sweep reads per loop iteration (its byte counts are rounded up to this). */
export const SWEEP_CHUNK = 128;

/**
 * Emits `sweep(p, chunks, out, thread, threads)`: this thread's share of `chunks` chunks of 128
 * bytes from p, summed with v128 loads into four independent accumulators, the i32 sum stored at
 * out + 64·thread (a line per thread). Reading the bytes is all it does: its GB/s bound a GEMV.
 */
export function emitMemorySweep(mod: ModuleBuilder, name = 'memory_sweep'): string {
  mod.func(name, [['p', 'i32'], ['chunks', 'i32'], ['out', 'i32'], ...THREAD_PARAMS], [], (b) => {
    const [p, chunks, out, thread, threads] = b.params as [Local, Local, Local, Local, Local];
    const start = b.local('i32', 'start');
    const end = b.local('i32', 'end');
    const at = b.local('i32', 'at');
    const stop = b.local('i32', 'stop');
    const acc = [0, 1, 2, 3].map((i) => b.local('v128', `a${i}`));
    emitShare(b, chunks, thread, threads, start, end);
    b.get(p).get(start).i32(7).op('i32.shl').op('i32.add').set(at);
    b.get(p).get(end).i32(7).op('i32.shl').op('i32.add').set(stop);
    b.block((exit) => {
      b.get(at).get(stop).op('i32.ge_u').brIf(exit);
      b.loop((again) => {
        for (let half = 0; half < 2; half++)
          for (const [i, a] of acc.entries())
            b.get(a)
              .get(at)
              .op('v128.load', 64 * half + 16 * i)
              .op('i32x4.add')
              .set(a);
        b.get(at).i32(SWEEP_CHUNK).op('i32.add').set(at).get(at).get(stop).op('i32.lt_u').brIf(again);
      });
    });
    b.get(out).get(thread).i32(6).op('i32.shl').op('i32.add');
    b.get(acc[0] as Local)
      .get(acc[1] as Local)
      .op('i32x4.add')
      .get(acc[2] as Local)
      .op('i32x4.add')
      .get(acc[3] as Local)
      .op('i32x4.add')
      .op('i32x4.extract_lane', 0)
      .op('i32.store');
  });
  return name;
}

/** Weight types the benchmarks synthesize. */
export const BENCH_WEIGHT_TYPES = [
  'q4_0',
  'q8_0',
  'q4_k',
  'q6_k',
  'f16',
] as const satisfies readonly WeightType[];
/** One of BENCH_WEIGHT_TYPES. */
export type BenchWeightType = (typeof BENCH_WEIGHT_TYPES)[number];

/** Byte offsets of the f16 scales inside one GGUF block (ggml-common.h), per benchmarked type. */
const F16_FIELDS: Record<BenchWeightType, readonly number[]> = {
  q4_0: [0], // d, then 16 bytes of nibbles
  q8_0: [0], // d, then 32 int8
  q4_k: [0, 2], // d, dmin, then 12 bytes of 6-bit scales and 128 of nibbles
  q6_k: [208], // 128 ql, 64 qh, 16 int8 scales, then d
  f16: [0], // the value itself
};

/** A small normal f16 (2^-8 … 2^-6, either sign for plain f16 values): no NaN, Inf or denormal slow paths. */
function smallHalf(signed: boolean): number {
  const sign = signed && Math.random() < 0.5 ? 0x8000 : 0;
  return sign | (0x1c00 + ((Math.random() * 0x800) | 0));
}

/** `rows × cols` values of `type` as GGUF stores them: random quants with small normal f16 scales. */
export function syntheticGgufWeights(type: BenchWeightType, rows: number, cols: number): Uint8Array {
  const f = formatOf(type);
  const blocks = (rows * cols) / f.sourceBlock;
  const size = f.sourceBlockBytes;
  const out = new Uint8Array(blocks * size);
  const words = new Uint32Array(out.buffer, 0, out.length >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = (Math.random() * 2 ** 32) >>> 0;
  const v = new DataView(out.buffer);
  const fields = F16_FIELDS[type];
  for (let blk = 0; blk < blocks; blk++)
    for (const o of fields) v.setUint16(blk * size + o, smallHalf(type === 'f16'), true);
  return out;
}
