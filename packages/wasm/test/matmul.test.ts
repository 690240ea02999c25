// Matmul kernels against a float64 reference: weights quantized by the reference quantizer (or
// random raw blocks), dequantized in float64, times activations rounded exactly as the kernel
// rounds them (roundActivationsQ8, llama.cpp's q8_0 rounding; f32 activations for f32 weights),
// so the only difference left is f32 arithmetic. Tolerance: |got − want| ≤ 1e-5·Σ|w·x| + 1e-30.
// Shapes are not multiples of the tiles (n = 37, 70; m = 1, 3, 5, 16, 17; odd block counts),
// outputs are poisoned (NaN bytes) first and the columns between n and ldy must stay poisoned,
// each case runs with 1, 2 and 3 threads, relaxed and plain dots.
import { beforeAll, describe, expect, it } from 'vitest';
import { roundActivationsQ8 } from '../../gpu/src/quant/activations-q8.ts';
import { dequantize } from '../../gpu/src/quant/dequantize.ts';
import { f32ToF16Bits } from '../../gpu/src/quant/half.ts';
import { quantize } from '../../gpu/src/quant/quantize.ts';
import { disassemble, ModuleBuilder } from '../src/encoder/index.ts';
import { enableRelaxedSimdInNode, FEATURE_PROBES } from '../src/features.ts';
import {
  ACT_D,
  ACT_RECORD_BYTES,
  ACT_SUM,
  ACT_SUM16,
  actI16Offset,
  actRowBytes,
  emitMatmul,
  emitQuantizeActivations,
  type MatmulSpec,
  matmulTuningSpace,
} from '../src/kernels/matmul/index.ts';
import { KernelHarness } from '../src/testing/kernel-harness.ts';
import { formatOf, packedLayout, repack, type WeightType } from '../src/weights/index.ts';

let relaxedOk = false;
let baselineBroken = false;
beforeAll(async () => {
  const features = await enableRelaxedSimdInNode();
  // MATMUL_TIER=optimized runs every kernel of this file compiled by V8's optimizing tier only.
  if (process.env.MATMUL_TIER === 'optimized') (await import('node:v8')).setFlagsFromString('--no-liftoff');
  relaxedOk = WebAssembly.validate(FEATURE_PROBES.relaxedSimd);
  // Node 20's flagged V8 (11.3) validates relaxed SIMD but its baseline compiler (Liftoff) can
  // return 2·dot instead of dot + acc from i32x4.relaxed_dot_i8x16_i7x16_add_s (register
  // aliasing); its optimizing compiler is right. There the relaxed kernels are checked compiled
  // by TurboFan only (and the runtime does not pick them: features.relaxedSimd is false).
  baselineBroken = relaxedOk && !features.relaxedSimd;
  if (!relaxedOk) console.warn('matmul tests: relaxed SIMD does not validate here; relaxed cases SKIPPED');
  if (baselineBroken)
    console.warn(
      'matmul tests: relaxed dot-add broken in this V8 baseline tier; relaxed cases run with --no-liftoff',
    );
});

/** Runs `body` with V8's baseline tier off (compiles and lazy compiles included) when `optimizedOnly`. */
async function tiered<T>(optimizedOnly: boolean, body: () => Promise<T>): Promise<T> {
  if (!optimizedOnly) return body();
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--no-liftoff');
  try {
    return await body();
  } finally {
    v8.setFlagsFromString('--liftoff');
  }
}

const TOL = 1e-5;

function random(n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * (Math.random() * 2 - 1));
}

/** Random raw blocks of q5_1 / q8_1 (no reference quantizer): scales from a small range. */
function rawBlocks(type: 'q5_1' | 'q8_1', rows: number, cols: number): { src: Uint8Array; w: Float64Array } {
  const blocks = (rows * cols) / 32;
  const size = type === 'q5_1' ? 24 : 36;
  const src = new Uint8Array(blocks * size);
  const v = new DataView(src.buffer);
  const w = new Float64Array(rows * cols);
  const half = (x: number) => {
    const bits = f32ToF16Bits(x);
    const s = bits & 0x8000 ? -1 : 1;
    const e = (bits >> 10) & 31;
    return s * (1 + (bits & 1023) / 1024) * 2 ** (e - 15);
  };
  for (let b = 0; b < blocks; b++) {
    const o = b * size;
    const d = half(0.01 + Math.random() * 0.05);
    v.setUint16(o, f32ToF16Bits(d), true);
    if (type === 'q5_1') {
      const m = half(-Math.random() * 0.5);
      v.setUint16(o + 2, f32ToF16Bits(m), true);
      const qh = (Math.random() * 2 ** 32) >>> 0;
      v.setUint32(o + 4, qh, true);
      for (let j = 0; j < 16; j++) {
        const qs = Math.floor(Math.random() * 256);
        src[o + 8 + j] = qs;
        w[32 * b + j] = d * ((qs & 15) | (((qh >>> j) & 1) << 4)) + m;
        w[32 * b + j + 16] = d * ((qs >> 4) | (((qh >>> (j + 16)) & 1) << 4)) + m;
      }
    } else {
      v.setUint16(o + 2, f32ToF16Bits(Math.random()), true); // s: unused by the weights
      for (let j = 0; j < 32; j++) {
        const q = Math.floor(Math.random() * 256) - 128;
        v.setInt8(o + 4 + j, q);
        w[32 * b + j] = d * q;
      }
    }
  }
  return { src, w };
}

/** Weights of `type` (rows × cols): GGUF bytes and their float64 values. */
function weights(type: WeightType, rows: number, cols: number): { src: Uint8Array; w: Float64Array } {
  if (type === 'q5_1' || type === 'q8_1') return rawBlocks(type, rows, cols);
  const src = quantize(type, random(rows * cols));
  return { src, w: Float64Array.from(dequantize(type, src, rows * cols)) };
}

/** The activations each kernel computes with: q8-rounded for quantized formats, f32 otherwise. */
function effectiveX(type: WeightType, x: Float32Array, m: number, k: number): Float64Array {
  if (formatOf(type).kind === 'f32') return Float64Array.from(x);
  const out = new Float64Array(m * k);
  for (let j = 0; j < m; j++) out.set(roundActivationsQ8(x.subarray(j * k, (j + 1) * k)), j * k);
  return out;
}

describe('activation quantization', () => {
  for (const k of [224, 70, 5]) {
    it(`k = ${k}: int8 values, f16 scale and sums as llama.cpp rounds them`, async () => {
      const mod = new ModuleBuilder().importMemory({ initial: 4 });
      const q = emitQuantizeActivations(mod, { k });
      expect(q.args).toEqual(['x', 'xq', 'm', 'ldx']);
      const m = 5;
      const ldx = k + 3;
      const xs = random(m * ldx, 4);
      xs[7] = 0; // a zero among others
      for (let i = 0; i < Math.min(k, 32); i++) xs[ldx + i] = 0; // an all-zero block: d = 0
      for (const threads of [1, 2, 3]) {
        const h = await KernelHarness.create(mod, 4);
        const x = h.put(xs);
        const xq = h.alloc(m * actRowBytes(k));
        h.run(q.name, [x, xq, m, ldx], threads);
        const kp = Math.ceil(k / 32) * 32;
        const v = new DataView(h.memory.buffer);
        for (let j = 0; j < m; j++) {
          const padded = new Float32Array(kp);
          padded.set(xs.subarray(j * ldx, j * ldx + k));
          const want = roundActivationsQ8(padded);
          for (let blk = 0; blk < kp / 32; blk++) {
            const o = xq + j * actRowBytes(k) + blk * ACT_RECORD_BYTES;
            const d = v.getFloat32(o + ACT_D, true);
            let s0 = 0;
            let s1 = 0;
            for (let i = 0; i < 32; i++) {
              const qi = v.getInt8(o + i);
              expect(v.getInt16(xq + j * actRowBytes(k) + actI16Offset(k) + 64 * blk + 2 * i, true)).toBe(qi);
              if (i < 16) s0 += qi;
              else s1 += qi;
              expect(qi * d).toBe(want[32 * blk + i]! === 0 ? qi * d : want[32 * blk + i]);
              if (want[32 * blk + i] === 0) expect(qi === 0 || d === 0).toBe(true);
            }
            expect(v.getFloat32(o + ACT_SUM, true)).toBe(Math.fround(d * (s0 + s1)));
            expect(v.getFloat32(o + ACT_SUM16, true)).toBe(Math.fround(d * s0));
            expect(v.getFloat32(o + ACT_SUM16 + 4, true)).toBe(Math.fround(d * s1));
          }
        }
      }
    });
  }
});

interface Variant {
  relaxed: boolean;
  relaxedDot?: 'i16' | 'i32';
  blockBytes?: number;
  rowTiles: 1 | 2;
  actTile: number;
  accumulate?: boolean;
  bias?: boolean;
}

const VARIANTS: Variant[] = [
  { relaxed: true, rowTiles: 1, actTile: 4 },
  { relaxed: false, rowTiles: 1, actTile: 4 },
  { relaxed: true, rowTiles: 2, actTile: 8, accumulate: true, bias: true },
  { relaxed: false, rowTiles: 2, actTile: 3, bias: true },
  { relaxed: true, rowTiles: 1, actTile: 1, accumulate: true },
  { relaxed: true, relaxedDot: 'i32', rowTiles: 1, actTile: 2 },
  { relaxed: true, rowTiles: 2, actTile: 2, blockBytes: 1 }, // blocks of one tile
  { relaxed: false, rowTiles: 1, actTile: 2, blockBytes: 4 * 4096 },
];

const TYPES: WeightType[] = [
  'q4_0',
  'q8_0',
  'f32',
  'f16',
  'bf16',
  'q4_1',
  'q5_0',
  'q5_1',
  'q8_1',
  'q4_k',
  'q5_k',
  'q6_k',
];

function kFor(type: WeightType): number {
  const block = formatOf(type).sourceBlock;
  return block === 256 ? 768 : block === 32 ? 224 : 203; // 3 or 7 blocks; f32 not a multiple of 4
}

describe('matmul', () => {
  for (const type of TYPES) {
    for (const n of [37, 70]) {
      it(`${type}: k = ${kFor(type)}, n = ${n}, m = 1, 3, 5, 16, 17, threads 1–3`, async () => {
        const k = kFor(type);
        const isF32 = formatOf(type).kind === 'f32';
        const { src, w } = weights(type, n, k);
        const layout = packedLayout(type, n, k);
        const packed = new Uint8Array(layout.bytes);
        repack(type, src, n, k, packed);
        const mod = new ModuleBuilder().importMemory({ initial: 64 });
        const variants = VARIANTS.filter((v) => relaxedOk || !v.relaxed);
        const kernels = variants.map((v, i) =>
          emitMatmul(mod, { type, k, n, ...v, name: `v${i}_${type}` } satisfies MatmulSpec),
        );
        const qa = emitQuantizeActivations(mod, { k });
        const bias = random(n);
        const mMax = 17;
        const ldy = n + 3;
        const xs = random(mMax * k, 2);
        const xe = effectiveX(type, xs, mMax, k);
        const yInit = random(mMax * ldy);
        for (const [vi, v] of variants.entries()) {
          const kern = kernels[vi]!;
          expect(kern.args).toEqual([isF32 ? 'x' : 'xq', 'w', 'y', 'm', 'ldy', ...(v.bias ? ['bias'] : [])]);
          for (const m of [1, 3, 5, 16, 17]) {
            for (const threads of [1, 2, 3]) {
              const got = await tiered(v.relaxed && v.relaxedDot === 'i32' && baselineBroken, async () => {
                const h = await KernelHarness.create(mod, 64);
                const x = h.put(xs.subarray(0, m * k));
                const wp = h.put(packed);
                const bp = h.put(bias);
                let xin = x;
                if (!isF32) {
                  xin = h.alloc(m * actRowBytes(k));
                  h.run(qa.name, [x, xin, m, k], threads);
                }
                const y = h.alloc(m * ldy * 4);
                if (v.accumulate) h.f32(y, m * ldy).set(yInit.subarray(0, m * ldy));
                h.run(kern.name, [xin, wp, y, m, ldy, ...(v.bias ? [bp] : [])], threads);
                return h.f32(y, m * ldy).slice();
              });
              for (let j = 0; j < m; j++) {
                for (let r = 0; r < n; r++) {
                  let want = 0;
                  let mag = 0;
                  for (let c = 0; c < k; c++) {
                    const p = w[r * k + c]! * xe[j * k + c]!;
                    want += p;
                    mag += Math.abs(p);
                  }
                  if (v.bias) want += bias[r]!;
                  if (v.accumulate) want += yInit[j * ldy + r]!;
                  const g = got[j * ldy + r]!;
                  const ok =
                    Math.abs(g - want) <= TOL * (mag + (v.bias ? 1 : 0) + (v.accumulate ? 1 : 0)) + 1e-30;
                  if (!ok) {
                    throw new Error(
                      `${kern.name} m=${m} threads=${threads} y[${j}][${r}] = ${g}, want ${want} (Σ|wx| ${mag})`,
                    );
                  }
                }
                for (let r = n; r < ldy; r++) {
                  // the gap between n and ldy is untouched: poison, or the accumulated-into values
                  if (v.accumulate) expect(got[j * ldy + r]).toBe(yInit[j * ldy + r]);
                  else expect(Number.isNaN(got[j * ldy + r])).toBe(true);
                }
              }
            }
          }
        }
      });
    }
  }
});

describe('q4_0 kernel code', () => {
  it('has integer dots in a step loop and one f32x4 conversion per accumulator per record, no per-lane converts', () => {
    for (const relaxed of [true, false]) {
      const mod = new ModuleBuilder().importMemory({ initial: 1 });
      emitMatmul(mod, { type: 'q4_0', k: 512, n: 512, relaxed, rowTiles: 1, actTile: 1 });
      const text = disassemble(mod.encode());
      const lines = text.split('\n');
      /** The body of the loop enclosing line `i`. */
      const loopAround = (i: number) => {
        let start = i;
        while (!lines[start]!.trim().startsWith('loop')) start--;
        const indent = lines[start]!.indexOf('loop');
        let end = start + 1;
        while (!(lines[end]!.indexOf('end') === indent && lines[end]!.trim() === 'end')) end++;
        return { start, body: lines.slice(start, end).map((l) => l.trim()) };
      };
      const dot = relaxed ? 'i16x8.relaxed_dot_i8x16_i7x16_s' : 'i32x4.dot_i16x8_s';
      const first = lines.findIndex((l) => l.includes(dot));
      expect(first).toBeGreaterThan(0);
      // the step loop: chunks p and p + 4 of one weight v128
      const step = loopAround(first);
      expect(step.body.filter((l) => l === dot).length).toBe(relaxed ? 2 : 4);
      expect(step.body.some((l) => l.startsWith('f32x4'))).toBe(false);
      // the record loop around it: one conversion per accumulator
      const record = loopAround(step.start - 1);
      expect(record.body.filter((l) => l === dot).length).toBe(relaxed ? 2 : 4);
      expect(record.body.filter((l) => l === 'f32x4.convert_i32x4_s').length).toBe(1);
      expect(record.body.some((l) => /extract_lane|f32\.convert|replace_lane/.test(l))).toBe(false);
    }
  });
});

describe('matmul tuning space', () => {
  it('every candidate of every format kind emits a module that validates', () => {
    for (const type of ['q4_0', 'q6_k', 'q8_0', 'f16'] as const) {
      const space = matmulTuningSpace(type, relaxedOk);
      const mod = new ModuleBuilder().importMemory({ initial: 1 });
      let i = 0;
      for (const rowTiles of space.rowTiles)
        for (const actTile of space.actTile)
          for (const relaxed of space.relaxed)
            for (const relaxedDot of space.relaxedDot)
              for (const blockBytes of space.blockBytes) {
                const spec = { type, k: 256, n: 9, rowTiles, actTile, relaxed, relaxedDot, blockBytes };
                emitMatmul(mod, { ...spec, name: `c${i++}` });
              }
      expect(WebAssembly.validate(mod.encode())).toBe(true);
      expect(space.rowTiles).toContain(space.defaults.rowTiles);
      expect(space.actTile).toContain(space.defaults.actTile);
    }
    expect(matmulTuningSpace('q4_0', false).relaxed).toEqual([false]);
  });
});
