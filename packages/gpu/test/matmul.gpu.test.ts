import { describe, expect, it } from 'vitest';
import { trackAllocations } from '../src/device/allocation-tracker.ts';
import type { KernelConfig, KernelContext } from '../src/ops/context.ts';
import {
  GEMV_MAX_M,
  MATMUL_DTYPES,
  type MatmulDtype,
  MatmulOp,
  matmulCandidates,
  matmulConfigProblem,
  matmulShapeBucket,
  matmulTunable,
  usableCandidates,
} from '../src/ops/matmul/index.ts';
import { ggmlType } from '../src/quant/ggml-types.ts';
import { dequantize, quantize, roundActivationsQ8 } from '../src/quant/index.ts';
import {
  candidateSample,
  expectClose,
  freshSeed,
  POISON_BITS,
  randomF32,
  readBuffer,
  seededRandom,
  testKernelContext,
  uploadBuffer,
} from '../src/testing/index.ts';

const SEED = freshSeed();
/** One context for the file: tests share its pipeline cache, so each variant compiles once. */
let sharedCtx: Promise<KernelContext> | undefined;
const sharedContext = () => {
  sharedCtx ??= testKernelContext();
  return sharedCtx;
};
const tag = `(RUMINATE_TEST_SEED=${SEED})`;

// Where slices sit inside their buffers: weights at a nonzero multiple of 256 (as in a model's
// packed weight buffer), activations and outputs after a poisoned/garbage prefix.
const W_OFFSET = 512;
const XY_OFFSET = 256;

/** k for each type: a whole number of blocks, not a multiple of the GEMV lane stride or (plain types) of TK. */
const K_OF: Record<MatmulDtype, number> = {
  f32: 200,
  f16: 200,
  bf16: 200,
  q8_0: 352,
  q4_0: 352,
  q4_1: 352,
  q5_0: 352,
  q4_k: 768,
  q5_k: 768,
  q6_k: 768,
};

/**
 * Tolerance for f32 accumulation of k products with |x|, |w| ≤ 1 against the float64 sum of
 * the same dequantized weights (the CPU reference decodes exactly what the kernel decodes, so
 * this holds for every dtype): rounding grows with k at ~1 ulp of |y| ≈ √k/3 per add, well
 * under 2e-7·k, while a wrong nibble, scale or offset moves y by ≥ 1e-2.
 */
const tolFor = (k: number) => ({ atol: 2e-7 * k });

/** Byte ranges of a block that hold f16 scales (kept finite); every other byte may be anything. */
const SCALE_BYTES: Partial<Record<MatmulDtype, [number, number][]>> = {
  q8_0: [[0, 2]],
  q4_0: [[0, 2]],
  q4_1: [[0, 4]],
  q5_0: [[0, 2]],
  q4_k: [[0, 4]],
  q5_k: [[0, 4]],
  q6_k: [[208, 210]],
};

/** GGUF blocks with random bit patterns in every quant/scale-index byte (f16 scales from quantize, so finite). */
function handMadeBlocks(dtype: MatmulDtype, count: number, rand: () => number): Uint8Array {
  const bytes = quantize(dtype, randomF32(count, rand));
  const ranges = SCALE_BYTES[dtype];
  if (!ranges) return bytes;
  const { blockBytes } = ggmlType(dtype);
  for (let o = 0; o < bytes.length; o++) {
    const within = o % blockBytes;
    if (!ranges.some(([a, b]) => within >= a && within < b)) bytes[o] = Math.floor(rand() * 256);
  }
  return bytes;
}

interface RunCase {
  dtype: MatmulDtype;
  m: number;
  k: number;
  n: number;
  wBytes: Uint8Array;
  x: Float32Array;
  bias?: Float32Array;
  config?: KernelConfig;
}

/** Runs one matmul with poisoned output and guard regions; returns y and checks the guards. */
async function runMatmul(ctx: KernelContext, op: MatmulOp, c: RunCase, label: string): Promise<Float32Array> {
  await op.prepareShape({ dtype: c.dtype, rows: c.n, cols: c.k, m: c.m }, c.config);
  return runMatmulPrepared(ctx, op, c, label);
}

/** As runMatmul, without preparing first (the op must already have the variant). */
async function runMatmulPrepared(
  ctx: KernelContext,
  op: MatmulOp,
  c: RunCase,
  label: string,
): Promise<Float32Array> {
  const { device } = ctx;
  const { m, k, n } = c;
  const wAll = new Uint8Array(W_OFFSET + c.wBytes.length + 8).fill(0x7b); // garbage around the weights
  wAll.set(c.wBytes, W_OFFSET);
  const wBuf = uploadBuffer(device, wAll);
  const xAll = new Float32Array(XY_OFFSET / 4 + m * k).fill(Number.NaN);
  xAll.set(c.x, XY_OFFSET / 4);
  const xBuf = uploadBuffer(device, xAll);
  const guard = 64; // poisoned words after y
  const yBuf = uploadBuffer(device, new Uint32Array(XY_OFFSET / 4 + m * c.n + guard).fill(POISON_BITS));
  const bBuf = c.bias ? uploadBuffer(device, c.bias) : undefined;
  const enc = device.createCommandEncoder();
  op.encode(enc, {
    x: { buffer: xBuf, offset: XY_OFFSET, size: m * k * 4 },
    w: { buffer: wBuf, offset: W_OFFSET, size: c.wBytes.length, dtype: c.dtype, rows: n, cols: k },
    y: { buffer: yBuf, offset: XY_OFFSET, size: m * n * 4 },
    m,
    ...(bBuf ? { bias: { buffer: bBuf, offset: 0, size: n * 4 } } : {}),
    ...(c.config ? { config: c.config } : {}),
  });
  device.queue.submit([enc.finish()]);
  const words = new Uint32Array(await readBuffer(device, yBuf));
  for (const i of [
    ...Array(XY_OFFSET / 4).keys(),
    ...Array.from({ length: guard }, (_, j) => XY_OFFSET / 4 + m * n + j),
  ]) {
    if (words[i] !== POISON_BITS) throw new Error(`${label}: wrote outside y (word ${i}) ${tag}`);
  }
  for (const b of [wBuf, xBuf, yBuf, bBuf]) b?.destroy();
  return new Float32Array(words.buffer, XY_OFFSET, m * n);
}

/**
 * float64 y = x·Wᵀ + bias over the CPU-dequantized weights, with x rounded to 8 bits per block
 * of 32 where the context computes so (q4_0 with `q8Activations`).
 */
function reference(c: RunCase, ctx?: KernelContext): Float64Array {
  const w = dequantize(c.dtype, c.wBytes, c.n * c.k);
  const x = ctx?.q8Activations && c.dtype === 'q4_0' ? roundActivationsQ8(c.x) : c.x;
  const y = new Float64Array(c.m * c.n);
  for (let r = 0; r < c.m; r++) {
    for (let j = 0; j < c.n; j++) {
      let s = c.bias ? (c.bias[j] as number) : 0;
      for (let q = 0; q < c.k; q++) s += (x[r * c.k + q] as number) * (w[j * c.k + q] as number);
      y[r * c.n + j] = s;
    }
  }
  return y;
}

/** Random case for a shape: quantized random weights, x in [−1, 1), optional bias. */
function randomCase(dtype: MatmulDtype, m: number, n: number, rand: () => number, bias: boolean): RunCase {
  const k = K_OF[dtype];
  return {
    dtype,
    m,
    k,
    n,
    wBytes: quantize(dtype, randomF32(n * k, rand)),
    x: randomF32(m * k, rand),
    ...(bias ? { bias: randomF32(n, rand) } : {}),
  };
}

async function checkRandom(ctx: KernelContext, op: MatmulOp, c: RunCase, label: string): Promise<void> {
  const y = await runMatmul(ctx, op, c, label);
  expectClose(y, reference(c, ctx), tolFor(c.k), `${label} ${tag}`);
}

/**
 * Reads every weight of `wBytes` back through the kernel with one-hot activation rows (row r
 * selects column c0 + r), so y must equal the CPU dequantizer's values bit for bit. Activations
 * rounded to 8 bits would scale a one-hot 1 to 127 · f16(1/127): `ctx` must not round them.
 */
async function checkOneHot(
  ctx: KernelContext,
  op: MatmulOp,
  dtype: MatmulDtype,
  m: number,
  rand: () => number,
) {
  expect(ctx.q8Activations && dtype === 'q4_0').toBeFalsy();
  const k = ggmlType(dtype).blockSize === 256 ? 256 : 64;
  const n = 3;
  const wBytes = handMadeBlocks(dtype, n * k, rand);
  const w = dequantize(dtype, wBytes, n * k);
  for (let c0 = 0; c0 < k; c0 += m) {
    const rows = Math.min(m, k - c0);
    const x = new Float32Array(m * k);
    for (let r = 0; r < rows; r++) x[r * k + c0 + r] = 1;
    const y = await runMatmul(ctx, op, { dtype, m, k, n, wBytes, x }, `${dtype} one-hot m=${m}`);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        const want = w[j * k + c0 + r] as number;
        const got = y[r * n + j] as number;
        if (!(got === want)) {
          throw new Error(
            `${dtype} m=${m}: W[${j}, ${c0 + r}] read ${got}, CPU dequantizer says ${want} ${tag}`,
          );
        }
      }
    }
  }
}

describe('matmul tuning spaces', () => {
  it('declare ≥ 24 valid candidates per kernel with exactly one default that fits WebGPU default limits', () => {
    const anyDevice = { features: new Set(['subgroups', 'shader-f16']), limits: {} };
    for (const kernel of ['gemv', 'gemm'] as const) {
      const all = matmulCandidates(kernel);
      expect(all.length).toBeGreaterThanOrEqual(24);
      expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
      const defaults = all.filter((c) => c.isDefault);
      expect(defaults.length).toBe(1);
      expect(defaults[0]?.config.defines ?? {}).toEqual({});
      for (const c of all) {
        const mTile = kernel === 'gemv' && c.config.defines?.ROWS ? 1 : 16; // RPT 8, 16: one row only
        expect(matmulConfigProblem(anyDevice, kernel, c.config, mTile), c.id).toBeUndefined();
      }
    }
    expect(matmulShapeBucket(1, 2048, 2048, 'q4_0')).toBe('m1-k2048-n2048-q4_0');
    expect(matmulShapeBucket(3, 2048, 5632, 'q4_k')).toBe('m4-k2048-n8192-q4_k');
    expect(matmulShapeBucket(128, 2048, 5632, 'f32')).toBe('m128-k2048-n8192-f32');
    expect(matmulShapeBucket(1000, 4096, 4096, 'f32')).toBe('m512-k4096-n4096-f32');
  });
});

describe('matmul on SwiftShader (float64 reference, poisoned outputs)', () => {
  MATMUL_DTYPES.forEach((dtype, i) => {
    it(`${dtype}: GEMV m = 1, ${i % 2 ? 7 : 3}, 13, 16 and GEMM m = 32, 37 with the shipped defaults (GPU and CPU adapter ones)`, async () => {
      const shared = await sharedContext();
      for (const cpuAdapter of [false, true]) {
        // CPU adapters round q4_0 activations to 8 bits: one-hot reads go through a context that does not.
        const ctx = { ...shared, cpuAdapter, q8Activations: cpuAdapter };
        const op = await MatmulOp.prepare(ctx);
        const exact = await MatmulOp.prepare({ ...ctx, q8Activations: false });
        const rand = seededRandom(SEED + i);
        const as = `${dtype} (${cpuAdapter ? 'CPU' : 'GPU'} defaults)`;
        await checkOneHot({ ...ctx, q8Activations: false }, exact, dtype, GEMV_MAX_M, rand);
        await checkOneHot({ ...ctx, q8Activations: false }, exact, dtype, 32, rand);
        exact.destroy();
        await checkRandom(ctx, op, randomCase(dtype, 1, 37, rand, true), `${as} gemv m=1`);
        await checkRandom(ctx, op, randomCase(dtype, i % 2 ? 7 : 3, 37, rand, false), `${as} gemv small m`);
        await checkRandom(ctx, op, randomCase(dtype, 13, 37, rand, true), `${as} gemv m=13`);
        await checkRandom(ctx, op, randomCase(dtype, 37, 37, rand, true), `${as} gemm m=37`);
        op.destroy();
      }
    });
  });

  for (const kernel of ['gemv', 'gemm'] as const) {
    it(`${kernel}: a seeded sample of tuning candidates (all with RUMINATE_ALL_CANDIDATES=1)`, async () => {
      const ctx = await sharedContext();
      const op = await MatmulOp.prepare(ctx);
      const { candidates, defaultIndex } = usableCandidates(ctx, kernel);
      const sample = candidateSample(candidates, 4, SEED, defaultIndex);
      const rand = seededRandom(SEED ^ 0x5eed);
      const ms = kernel === 'gemv' ? [1, 3, 7, 16, 5] : [17, 37, 70];
      for (const [j, cand] of sample.entries()) {
        const dtype = MATMUL_DTYPES[(SEED + j) % MATMUL_DTYPES.length] as MatmulDtype;
        const m = ms[(SEED + j) % ms.length] as number;
        const c = { ...randomCase(dtype, m, 37, rand, j % 2 === 0), config: cand.config };
        await checkRandom(ctx, op, c, `${kernel} ${cand.id} ${dtype} m=${m}`);
      }
      op.destroy();
    });
  }

  it('GEMV whole-block reads (q4_0, q4_1, q8_0): a seeded candidate sample over 11 blocks per row, rows at both word alignments', async () => {
    const ctx = await sharedContext();
    const op = await MatmulOp.prepare(ctx);
    const { candidates, defaultIndex } = usableCandidates(ctx, 'gemv');
    // Unrolled and split-K candidates stride k in blocks, so 11 blocks leave ragged ends.
    const sample = candidateSample(candidates, 3, SEED ^ 0xb10c, defaultIndex);
    const rand = seededRandom(SEED ^ 0xb10c);
    for (const dtype of ['q4_0', 'q4_1', 'q8_0'] as const) {
      for (const [j, cand] of sample.entries()) {
        const m = [1, 5, 16][j % 3] as number;
        const c = { ...randomCase(dtype, m, 29, rand, j === 1), config: cand.config };
        await checkRandom(ctx, op, c, `gemv ${cand.id} ${dtype} m=${m}`);
      }
    }
    op.destroy();
  });

  it('ROWS GEMV: gemv-rows.wgsl for one row (every type, n not a multiple of 4 rows, with and without bias), gemm-rows.wgsl for batch tiles', async () => {
    const ctx = await sharedContext();
    const op = await MatmulOp.prepare(ctx);
    const rand = seededRandom(SEED ^ 0x4085);
    const rows = usableCandidates(ctx, 'gemv', 1).candidates.filter((c) => c.config.defines?.ROWS);
    // RPT 4, 8 and 16 (one, two and four groups of 4 rows) each meet several types per run.
    expect(new Set(rows.map((c) => c.config.constants.RPT))).toEqual(new Set([4, 8, 16]));
    const byRpt = [4, 8, 16].map((rpt) => rows.filter((c) => c.config.constants.RPT === rpt));
    for (const [i, dtype] of MATMUL_DTYPES.entries()) {
      const group = byRpt[i % 3] as typeof rows;
      const cand = group[(SEED + i) % group.length] as (typeof rows)[number];
      // 37 rows: 9 whole groups of 4 and one of 1 (its invocation reads row 36 four times and
      // stores once); q4_0 / q8_0 rows of K_OF's 11 blocks start at both word alignments.
      const c = { ...randomCase(dtype, 1, 37, rand, i % 2 === 0), config: cand.config };
      await checkRandom(ctx, op, c, `gemv ${cand.id} ${dtype} m=1`);
    }
    // Batch tiles run gemm-rows.wgsl, whose register tile holds 4 or 8 weight rows: not RPT 16.
    const rpt16 = byRpt[2]?.[0] as (typeof rows)[number];
    expect(matmulConfigProblem(ctx, 'gemv', rpt16.config, 2)).toMatch(/RPT 4, 8 for batch tiles/);
    for (const [j, m] of [2, 3, 7, 13, 16].entries()) {
      const dtype = MATMUL_DTYPES[(SEED + m) % MATMUL_DTYPES.length] as MatmulDtype;
      const cand = byRpt[j % 2]?.[0] as (typeof rows)[number];
      const c = { ...randomCase(dtype, m, 37, rand, m % 2 === 1), config: cand.config };
      await checkRandom(ctx, op, c, `gemv ${cand.id} ${dtype} m=${m} (gemm-rows)`);
    }
    op.destroy();
  });

  it('ROWS GEMM (gemm-rows.wgsl): every type, tiles of 4 or 8 weight rows × 4, 8 or 16 activation rows, m and n not multiples of the tile, with and without bias', async () => {
    const ctx = await sharedContext();
    const op = await MatmulOp.prepare(ctx);
    const rand = seededRandom(SEED ^ 0x6e33);
    const rows = usableCandidates(ctx, 'gemm').candidates.filter((c) => c.config.defines?.ROWS);
    // Every (weight rows, activation rows) tile shape meets several types per run.
    const shapes = [4, 8].flatMap((w) => [4, 8, 16].map((t) => [w, t]));
    const byTile = shapes.map(([w, t]) =>
      rows.filter((c) => c.config.constants.RPT === w && c.config.constants.M_TILE === t),
    );
    expect(byTile.every((g) => g.length > 0)).toBe(true);
    for (const [i, dtype] of MATMUL_DTYPES.entries()) {
      const group = byTile[i % shapes.length] as typeof rows;
      const cand = group[(SEED + i) % group.length] as (typeof rows)[number];
      const m = [17, 37, 70][(SEED + i) % 3] as number;
      const c = { ...randomCase(dtype, m, 37, rand, i % 2 === 1), config: cand.config };
      await checkRandom(ctx, op, c, `gemm ${cand.id} ${dtype} m=${m}`);
    }
    op.destroy();
  });

  it('split-K GEMV and GEMM sum their partial planes and add the bias once (with and without bias)', async () => {
    const ctx = await sharedContext();
    const op = await MatmulOp.prepare(ctx);
    const rand = seededRandom(SEED + 99);
    for (const [kernel, m, bias] of [
      ['gemv', 5, true],
      ['gemv', 2, false],
      ['gemm', 20, true],
      ['gemm', 19, false],
    ] as const) {
      const cand = matmulCandidates(kernel).find(
        (c) => (c.config.constants.SPLIT_K ?? 1) > 1 && !c.config.defines?.SUBGROUPS,
      );
      expect(cand).toBeDefined();
      const c = { ...randomCase('q8_0', m, 29, rand, bias), config: cand?.config as KernelConfig };
      await checkRandom(ctx, op, c, `${kernel} ${cand?.id}`);
    }
    op.destroy();
  });

  it('structural variants: GEMV with subgroup shuffles (where the adapter has subgroups), GEMM with VEC4 and register tiles (REGS, with and without lane reduction)', async () => {
    const ctx = await sharedContext();
    const op = await MatmulOp.prepare(ctx);
    const rand = seededRandom(SEED + 5);
    const dtype = MATMUL_DTYPES[SEED % MATMUL_DTYPES.length] as MatmulDtype;
    const variants = [
      ['gemv', 'wg64-tpr8-rpt4-u1-sg', 6],
      ['gemm', 't32x64x16-r4x4-v4', 21],
      ['gemm', 'regs-wg32-tpr1-rpt4-u1-m16', 37],
      ['gemm', 'regs-wg64-tpr16-rpt2-u1-m16', 35],
    ] as const;
    for (const [kernel, id, m] of variants) {
      const cand = matmulCandidates(kernel).find((c) => c.id === id);
      expect(cand, id).toBeDefined();
      if (cand?.config.defines?.SUBGROUPS && !ctx.features.has('subgroups')) continue;
      const c = { ...randomCase(dtype, m, 41, rand, true), config: cand?.config as KernelConfig };
      await checkRandom(ctx, op, c, `${kernel} ${id} ${dtype}`);
    }
    op.destroy();
  });

  it('folds workgroup counts above maxComputeWorkgroupsPerDimension into a 2-D grid', async () => {
    const base = await sharedContext();
    // A tiny per-dimension limit makes small problems take the path huge vocabularies take.
    const ctx: KernelContext = { ...base, limits: { ...base.limits, maxComputeWorkgroupsPerDimension: 4 } };
    const op = await MatmulOp.prepare(ctx);
    const rand = seededRandom(SEED + 3);
    await checkRandom(ctx, op, randomCase('q4_1', 3, 100, rand, true), 'gemv 2-D grid');
    await checkRandom(ctx, op, randomCase('q4_1', 37, 140, rand, true), 'gemm 2-D grid');
    op.destroy();
  });

  it('prepareUpTo compiles every GEMV tile and GEMM bucket a range of m needs', async () => {
    const ctx = await sharedContext();
    const op = await MatmulOp.prepare(ctx);
    const rand = seededRandom(SEED + 11);
    const k = K_OF.q8_0;
    await op.prepareUpTo({ dtype: 'q8_0', rows: 23, cols: k }, 40);
    for (const m of [1, 2, 3, 6, 11, 16, 17, 40]) {
      const c = randomCase('q8_0', m, 23, rand, false);
      // Recorded with no prepare of its own: prepareUpTo must have covered it.
      const y = await runMatmulPrepared(ctx, op, c, `prepareUpTo m=${m}`);
      expectClose(y, reference(c), tolFor(k), `prepareUpTo m=${m} ${tag}`);
    }
    op.destroy();
  });

  it('uses the tuned configuration, and refuses to record what was never compiled', async () => {
    const base = await testKernelContext();
    const tunedCand = matmulCandidates('gemv').find((c) => c.id === 'wg32-tpr1-rpt2-u2') as {
      config: KernelConfig;
    };
    const lookups: string[] = [];
    const ctx: KernelContext = {
      ...base,
      tuned: (op, bucket) => {
        lookups.push(`${op} ${bucket}`);
        return op === 'matmul/gemv' ? tunedCand.config : undefined;
      },
    };
    const op = await MatmulOp.prepare(ctx);
    const rand = seededRandom(SEED + 7);
    const c = randomCase('q4_0', 2, 33, rand, false);
    const before = base.pipelines.size;
    expect(() =>
      op.encode(base.device.createCommandEncoder(), {
        x: {
          buffer: base.device.createBuffer({ size: 4096, usage: GPUBufferUsage.STORAGE }),
          offset: 0,
          size: 4096,
        },
        w: {
          buffer: base.device.createBuffer({ size: 8192, usage: GPUBufferUsage.STORAGE }),
          offset: 0,
          size: 8192,
          dtype: 'q4_0',
          rows: 33,
          cols: 352,
        },
        y: {
          buffer: base.device.createBuffer({ size: 4096, usage: GPUBufferUsage.STORAGE }),
          offset: 0,
          size: 4096,
        },
        m: 2,
      }),
    ).toThrow(/prepare/);
    await checkRandom(ctx, op, c, 'tuned gemv');
    expect(lookups).toContain(`matmul/gemv ${matmulShapeBucket(2, 352, 33, 'q4_0')}`);
    expect(op.resolveConfig(2, 352, 33, 'q4_0')).toBe(tunedCand.config);
    // The tuned variant only (compiled once), and the pass rounding q4_0 activations where the context rounds them.
    expect(base.pipelines.size).toBe(before + (ctx.q8Activations ? 2 : 1));
    op.destroy();
  });

  it('matmulTunable compiles and records a candidate on its own buffers', async () => {
    const ctx = await sharedContext();
    const allocations = trackAllocations(ctx.device);
    const t = matmulTunable(ctx, { m: 1, k: 256, n: 64, dtype: 'q4_k' });
    // Nothing is allocated until a candidate is prepared (cached problems cost no GPU memory).
    expect(allocations.liveBytes()).toBe(0);
    expect(t.op).toBe('matmul/gemv');
    expect(t.bucket).toBe('m1-k256-n64-q4_k');
    expect(t.candidates.length).toBe(t.ids.length);
    const config = t.candidates[t.defaultIndex] as KernelConfig;
    await t.prepare(config);
    expect(allocations.liveBytes()).toBeGreaterThanOrEqual(144 * 64 + 4 * 256 + 4 * 64);
    allocations.dispose();
    const enc = ctx.device.createCommandEncoder();
    t.encode(enc, config);
    ctx.device.queue.submit([enc.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    expect(t.work.flops).toBe(2 * 256 * 64);
    t.dispose?.();
  });
});

describe('q4_0 with activations rounded to 8 bits (CPU adapters: gemv-swar-q4_0.wgsl, x-q8-pairs.wgsl, x-q8.wgsl)', () => {
  const q8Context = async (): Promise<KernelContext> => ({ ...(await sharedContext()), q8Activations: true });

  it('one row: RPT 4, 8, 16 over even and odd block counts (1 to 12 blocks), n not a multiple of 4 (and 1, 2), with and without bias', async () => {
    const ctx = await q8Context();
    const op = await MatmulOp.prepare(ctx);
    const rand = seededRandom(SEED ^ 0x5a4);
    const rows = usableCandidates(ctx, 'gemv', 1).candidates.filter((c) => c.config.defines?.ROWS);
    for (const [i, k] of [32, 64, 352, 384, 96].entries()) {
      for (const rpt of [4, 8, 16]) {
        const cand = rows.find((c) => c.config.constants.RPT === rpt) as (typeof rows)[number];
        const n = 37 + 4 * i;
        const c: RunCase = {
          dtype: 'q4_0',
          m: 1,
          k,
          n,
          wBytes: handMadeBlocks('q4_0', n * k, rand),
          x: randomF32(k, rand),
          ...((i + rpt) % 2 ? { bias: randomF32(n, rand) } : {}),
          config: cand.config,
        };
        await checkRandom(ctx, op, c, `swar ${cand.id} k=${k} n=${n}`);
      }
    }
    // Odd block counts (rows alternate between starting on a word and two bytes in) with fewer
    // rows than one invocation's group (n = 1, 2) and a last group partly past n (70).
    for (const k of [96, 352]) {
      for (const n of [1, 2, 70]) {
        for (const rpt of [4, 16]) {
          const cand = rows.find((c) => c.config.constants.RPT === rpt) as (typeof rows)[number];
          const c: RunCase = {
            dtype: 'q4_0',
            m: 1,
            k,
            n,
            wBytes: handMadeBlocks('q4_0', n * k, rand),
            x: randomF32(k, rand),
            config: cand.config,
          };
          await checkRandom(ctx, op, c, `swar ${cand.id} k=${k} n=${n}`);
        }
      }
    }
    op.destroy();
  });

  it('integer lanes at their bounds: all-0 and all-15 nibbles against ±amax activations, zero blocks, huge and tiny scales', async () => {
    const ctx = await q8Context();
    const op = await MatmulOp.prepare(ctx);
    const k = 96;
    const n = 6;
    // Rows: nibbles all 0 (q − 8 = −8: the upper lane reaches −8·127·32 = −32512), all 15, alternating.
    const nibble = [0x00, 0xff, 0xf0, 0x0f, 0x00, 0xff];
    const wBytes = quantize('q4_0', new Float32Array(n * k).fill(1));
    for (let r = 0; r < n; r++) {
      for (let b = 0; b < k / 32; b++)
        wBytes.fill(nibble[r] as number, (r * 3 + b) * 18 + 2, (r * 3 + b) * 18 + 18);
    }
    const x = new Float32Array(k);
    x.fill(3.5, 0, 32); // every value at amax: q = 127
    x.fill(0, 32, 64); // an all-zero block: id = 0
    for (let j = 64; j < 96; j++) x[j] = (j % 2 ? -1 : 1) * (j === 70 ? 6e4 : 1e-3); // one huge, the rest rounding to 0
    for (const id of ['rows4-wg8', 'rows16-wg4']) {
      const cand = matmulCandidates('gemv').find((c) => c.id === id) as { config: KernelConfig };
      const c: RunCase = { dtype: 'q4_0', m: 1, k, n, wBytes, x, config: cand.config };
      const y = await runMatmul(ctx, op, c, `swar bounds ${id}`);
      // |y| reaches 6e4 here, where one f32 ulp is 4e-3: a relative bound (a few ulps) on top of tolFor's.
      expectClose(y, reference(c, ctx), { ...tolFor(k), rtol: 1e-6 }, `swar bounds ${id} ${tag}`);
    }
    op.destroy();
  });

  it('a row gives the same result alone (SWAR), in a batch tile (gemm-rows) and in a GEMM (x rounded by x-q8.wgsl first)', async () => {
    const ctx = await q8Context();
    const op = await MatmulOp.prepare(ctx);
    const rand = seededRandom(SEED ^ 0x9e1);
    const k = 352;
    const n = 45;
    const wBytes = quantize('q4_0', randomF32(n * k, rand));
    const x = randomF32(40 * k, rand);
    const bias = randomF32(n, rand);
    const alone = await runMatmul(
      ctx,
      op,
      { dtype: 'q4_0', m: 1, k, n, wBytes, x: x.subarray(0, k), bias },
      'alone',
    );
    for (const m of [5, 16, 40]) {
      const together = await runMatmul(
        ctx,
        op,
        { dtype: 'q4_0', m, k, n, wBytes, x: x.subarray(0, m * k), bias },
        `m=${m}`,
      );
      // Same rounded values, same integer block sums; only f32 summation order differs.
      expectClose(together.subarray(0, n), alone, { atol: 2e-7 * k }, `row 0 at m=${m} against alone ${tag}`);
      const c: RunCase = { dtype: 'q4_0', m, k, n, wBytes, x: x.subarray(0, m * k), bias };
      expectClose(together, reference(c, ctx), tolFor(k), `m=${m} ${tag}`);
    }
    op.destroy();
  });

  it('sameX reuses the rounded x only for the same x, target and pass: fewer dispatches, the same results', async () => {
    const ctx = await q8Context();
    const { device } = ctx;
    const op = await MatmulOp.prepare(ctx);
    const rand = seededRandom(SEED ^ 0x3c7);
    const k = 352;
    const ns = [45, 13, 29];
    const cases = ns.map(
      (n): RunCase => ({
        dtype: 'q4_0',
        m: 1,
        k,
        n,
        wBytes: quantize('q4_0', randomF32(n * k, rand)),
        x: randomF32(k, rand),
      }),
    );
    // Two inputs in one buffer: calls 0 and 1 read x0, call 2 reads x1 (and says sameX, wrongly).
    const x0 = cases[0]?.x as Float32Array;
    const x1 = randomF32(k, rand);
    const xBuf = uploadBuffer(device, Float32Array.of(...x0, ...new Float32Array(64 - (k % 64)), ...x1));
    const x1Offset = (k + 64 - (k % 64)) * 4;
    for (const c of cases) await op.prepareShape({ dtype: 'q4_0', rows: c.n, cols: k, m: 1 });
    const ys = ns.map((n) => uploadBuffer(device, new Uint32Array(n).fill(POISON_BITS)));
    const ws = cases.map((c) => uploadBuffer(device, c.wBytes));
    const enc = device.createCommandEncoder();
    let dispatches = 0;
    const begin = enc.beginComputePass.bind(enc);
    enc.beginComputePass = (d?: GPUComputePassDescriptor) => {
      const pass = begin(d);
      const dispatch = pass.dispatchWorkgroups.bind(pass);
      pass.dispatchWorkgroups = (...a: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) => {
        dispatches++;
        dispatch(...a);
      };
      return pass;
    };
    cases.forEach((c, i) => {
      const xOffset = i === 2 ? x1Offset : 0;
      op.encode(enc, {
        x: { buffer: xBuf, offset: xOffset, size: k * 4 },
        w: {
          buffer: ws[i] as GPUBuffer,
          offset: 0,
          size: c.wBytes.length,
          dtype: 'q4_0',
          rows: c.n,
          cols: k,
        },
        y: { buffer: ys[i] as GPUBuffer, offset: 0, size: c.n * 4 },
        m: 1,
        sameX: i > 0,
      });
    });
    device.queue.submit([enc.finish()]);
    // x pass + GEMV, GEMV alone (reused), x pass + GEMV (another x: not reused).
    expect(dispatches).toBe(5);
    for (const [i, c] of cases.entries()) {
      const y = new Float32Array(await readBuffer(device, ys[i] as GPUBuffer));
      const want = reference({ ...c, x: i === 2 ? x1 : x0 }, ctx);
      expectClose(y, want, tolFor(k), `sameX call ${i} ${tag}`);
    }
    for (const b of [xBuf, ...ys, ...ws]) b.destroy();
    op.destroy();
  });
});
