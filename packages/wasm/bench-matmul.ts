// Micro-benchmark of the wasm matmul kernels, one thread: GFLOP/s and weight GB/s (packed
// bytes read per second) for the 31M llama's and a 1B model's shapes at m = 1, 4, 16, q4_0
// (relaxed and plain dots) and q8_0, beside a plain memory sweep (v128 loads summed) over a
// buffer of the same size, which bounds a memory-bound GEMV on this machine.
// Run: npx tsx packages/wasm/bench-matmul.ts [--quick]
// Relaxed SIMD in Node 20 needs the V8 flag; its baseline tier computes the relaxed dot-add
// wrong, so the benchmark runs optimized code only (--no-liftoff) and checks one result.
import v8 from 'node:v8';
import { ModuleBuilder } from './src/encoder/index.ts';
import { actRowBytes, emitMatmul, emitQuantizeActivations } from './src/kernels/matmul/index.ts';
import { packedLayout, repack, type WeightType } from './src/weights/index.ts';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
v8.setFlagsFromString('--no-liftoff');

const quick = process.argv.includes('--quick');
const SHAPES: [k: number, n: number, label: string][] = [
  [512, 512, '31M qkv/o'],
  [512, 1376, '31M gate/up'],
  [1376, 512, '31M down'],
  [512, 32000, '31M lm head'],
  [2048, 2048, '1B qkv/o'],
  [2048, 8192, '1B gate/up'],
];
const MS = [1, 4, 16];

/** Random GGUF blocks of q4_0 / q8_0 with scales in [2^-8, 2^-6). */
function ggufBlocks(type: 'q4_0' | 'q8_0', rows: number, cols: number): Uint8Array {
  const size = type === 'q4_0' ? 18 : 34;
  const blocks = (rows * cols) / 32;
  const out = new Uint8Array(blocks * size);
  for (let i = 0; i < out.length; i++) out[i] = (Math.random() * 256) | 0;
  const v = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) v.setUint16(b * size, 0x1c00 + ((Math.random() * 0x800) | 0), true);
  return out;
}

/** ms per call of `fn`: the best of 5 timings of enough calls to take ≥ 40 ms each (the machine is shared). */
function time(fn: () => void): number {
  fn();
  let reps = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const dt = performance.now() - t;
    if (dt >= 40) break;
    reps *= 2;
  }
  const runs: number[] = [];
  for (let r = 0; r < (quick ? 3 : 5); r++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    runs.push((performance.now() - t) / reps);
  }
  return Math.min(...runs);
}

/** A module summing `bytes` of memory with v128 loads (4 independent accumulators). */
function sweepModule(): ModuleBuilder {
  const mod = new ModuleBuilder().importMemory({ initial: 1 });
  mod.func(
    'sweep',
    [
      ['p', 'i32'],
      ['bytes', 'i32'],
    ],
    ['i32'],
    (b) => {
      const [p, n] = b.params as [never, never];
      const end = b.local('i32', 'end');
      const acc = [0, 1, 2, 3].map((i) => b.local('v128', `a${i}`));
      b.get(p).get(n).op('i32.add').set(end);
      b.loop((again) => {
        for (const [i, a] of acc.entries())
          b.get(a)
            .get(p)
            .op('v128.load', 16 * i)
            .op('i32x4.add')
            .set(a);
        for (const [i, a] of acc.entries())
          b.get(a)
            .get(p)
            .op('v128.load', 64 + 16 * i)
            .op('i32x4.add')
            .set(a);
        b.get(p).i32(128).op('i32.add').set(p).get(p).get(end).op('i32.lt_u').brIf(again);
      });
      b.get(acc[0] as never)
        .get(acc[1] as never)
        .op('i32x4.add')
        .get(acc[2] as never)
        .op('i32x4.add')
        .get(acc[3] as never)
        .op('i32x4.add')
        .op('i32x4.extract_lane', 0);
    },
  );
  return mod;
}

interface Row {
  shape: string;
  type: string;
  m: number;
  ms: number;
  gflops: number;
  gbs: number;
  sweep: number;
}

async function main(): Promise<void> {
  const memory = new WebAssembly.Memory({ initial: 2048 }); // 128 MiB
  // touch every page (untouched pages all map the one zero page, which stays in cache)
  const words = new Uint32Array(memory.buffer);
  for (let i = 0; i < words.length; i++) words[i] = (i * 2654435761) >>> 0;
  const sweep = (await WebAssembly.instantiate(sweepModule().encode(), { env: { memory } })).instance.exports
    .sweep as (p: number, n: number) => number;
  const sweepGBs = (bytes: number) => {
    const b = Math.ceil(bytes / 128) * 128;
    return b / (time(() => sweep(1 << 26, b)) * 1e6);
  };
  console.log(
    `memory sweep, one thread: 16 MiB ${sweepGBs(1 << 24).toFixed(1)} GB/s, 64 MiB ${sweepGBs(1 << 26).toFixed(1)} GB/s, 1 MiB ${sweepGBs(1 << 20).toFixed(1)} GB/s`,
  );
  const rows: Row[] = [];
  const variants: { type: WeightType; relaxed: boolean; label: string; dot?: 'i16' | 'i32' }[] = [
    { type: 'q4_0', relaxed: true, label: 'q4_0 relaxed' },
    { type: 'q4_0', relaxed: false, label: 'q4_0 plain' },
    { type: 'q8_0', relaxed: false, label: 'q8_0' },
  ];
  for (const [k, n, label] of quick ? SHAPES.slice(0, 2) : SHAPES) {
    for (const v of variants) {
      const layout = packedLayout(v.type, n, k);
      const packed = new Uint8Array(memory.buffer, 0, layout.bytes);
      repack(v.type, ggufBlocks(v.type as 'q4_0' | 'q8_0', n, k), n, k, packed);
      const sweepHere = sweepGBs(layout.bytes);
      const mod = new ModuleBuilder().importMemory({ initial: 2048 });
      const q = emitQuantizeActivations(mod, { k });
      const one = emitMatmul(mod, {
        type: v.type,
        k,
        n,
        relaxed: v.relaxed,
        relaxedDot: v.dot,
        actTile: 1,
        rowTiles: 1,
      });
      const four = emitMatmul(mod, {
        type: v.type,
        k,
        n,
        relaxed: v.relaxed,
        relaxedDot: v.dot,
        actTile: 4,
        rowTiles: 1,
      });
      const kernels = MS.map((m) => (m === 1 ? one : four));
      const ex = (await WebAssembly.instantiate(mod.encode(), { env: { memory } })).instance
        .exports as Record<string, (...a: number[]) => void>;
      const xAt = Math.ceil(layout.bytes / 64) * 64 + 64;
      const xqAt = xAt + 16 * 4 * k;
      const yAt = xqAt + 16 * actRowBytes(k) + 64;
      const x = new Float32Array(memory.buffer, xAt, 16 * k);
      for (let i = 0; i < x.length; i++) x[i] = Math.random() * 2 - 1;
      ex[q.name]!(xAt, xqAt, 16, k, 0, 1);
      for (const [i, m] of MS.entries()) {
        const kern = kernels[i]!;
        const ms = time(() => ex[kern.name]!(xqAt, 0, yAt, m, n, 0, 1));
        rows.push({
          shape: `${label} k=${k} n=${n}`,
          type: v.label,
          m,
          ms,
          gflops: (2 * m * n * k) / (ms * 1e6),
          gbs: layout.bytes / (ms * 1e6),
          sweep: sweepHere,
        });
        const r = rows.at(-1)!;
        console.log(
          `${r.shape.padEnd(28)} ${r.type.padEnd(13)} m=${String(m).padStart(2)}  ${ms.toFixed(3).padStart(8)} ms  ${r.gflops.toFixed(1).padStart(6)} GFLOP/s  ${r.gbs.toFixed(1).padStart(5)} GB/s weights (sweep ${sweepHere.toFixed(1)})`,
        );
      }
      // activation quantization cost, for scale
      const qms = time(() => ex[q.name]!(xAt, xqAt, 1, k, 0, 1));
      console.log(`${''.padEnd(28)} quantize 1 row of ${k}: ${(qms * 1000).toFixed(2)} µs`);
    }
  }
}

await main();
