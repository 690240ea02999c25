// Helpers for GPU tests (Node + SwiftShader or a page): device, upload, readback,
// poisoned outputs, seeded random data and float64 comparison. Exported as
// `@ruminate/gpu/testing`; not part of the runtime API.
import { type AcquiredDevice, requestDevice } from '../device/request-device.ts';
import type { KernelContext } from '../ops/context.ts';
import { kernelContextFor } from '../ops/context.ts';
import { defaultIndex, type TuningPoint, type TuningSpace } from '../ops/shared/tuning-space.ts';

let shared: Promise<AcquiredDevice> | undefined;

/** One device per test process (SwiftShader devices are expensive to create). */
export function testDevice(): Promise<AcquiredDevice> {
  shared ??= requestDevice();
  return shared;
}

/** A KernelContext over the shared test device, with a fresh pipeline cache. */
export async function testKernelContext(): Promise<KernelContext> {
  return kernelContextFor(await testDevice());
}

/** Storage buffer holding `data` (padded to 4 bytes), readable back with `readBuffer`. */
export function uploadBuffer(device: GPUDevice, data: ArrayBufferView, extraUsage = 0): GPUBuffer {
  const size = Math.max(4, Math.ceil(data.byteLength / 4) * 4);
  const buffer = device.createBuffer({
    size,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage,
    mappedAtCreation: true,
  });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

/** The bit pattern outputs are poisoned with: a quiet NaN with a payload no kernel produces. */
export const POISON_BITS = 0x7fc0dead;

/** Storage buffer of `bytes` bytes filled with POISON_BITS, so untouched outputs fail comparisons. */
export function poisonedBuffer(device: GPUDevice, bytes: number): GPUBuffer {
  const words = new Uint32Array(Math.max(1, Math.ceil(bytes / 4))).fill(POISON_BITS);
  return uploadBuffer(device, words);
}

/** Copies a buffer range back to the CPU. */
export async function readBuffer(
  device: GPUDevice,
  buffer: GPUBuffer,
  offset = 0,
  size?: number,
): Promise<ArrayBuffer> {
  const bytes = Math.ceil((size ?? buffer.size - offset) / 4) * 4;
  const staging = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
  });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buffer, offset, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return copy;
}

/** Reads a buffer range as f32 values. */
export async function readF32(
  device: GPUDevice,
  buffer: GPUBuffer,
  offset = 0,
  count?: number,
): Promise<Float32Array> {
  return new Float32Array(
    await readBuffer(device, buffer, offset, count === undefined ? undefined : count * 4),
    0,
    count,
  );
}

/** Deterministic PRNG (mulberry32) in [0, 1): tests print their seed so failures replay. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh seed per run (so inputs are new each time), overridable with RUMINATE_TEST_SEED to replay. */
export function freshSeed(): number {
  const fromEnv = typeof process !== 'undefined' ? process.env.RUMINATE_TEST_SEED : undefined;
  return fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
}

/** `n` uniform values in [lo, hi). */
export function randomF32(n: number, rand: () => number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/** Largest error found and where, for tolerance messages. */
export interface CloseReport {
  /** Largest |actual − expected| − rtol·|expected| over all elements (≤ atol passes). */
  worst: number;
  /** Index of the worst element. */
  index: number;
  /** Number of elements compared. */
  count: number;
}

/**
 * Compares GPU output with a float64 reference: every element must satisfy
 * |a − e| ≤ atol + rtol·|e| and be finite (a poisoned, never-written element is NaN).
 * Throws with the first failing index and the values.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { atol: number; rtol?: number },
  label = 'values',
): CloseReport {
  if (actual.length < expected.length) {
    throw new Error(`${label}: got ${actual.length} elements, expected ${expected.length}`);
  }
  const rtol = tol.rtol ?? 0;
  let worst = Number.NEGATIVE_INFINITY;
  let index = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const excess = Math.abs(a - e) - rtol * Math.abs(e);
    if (!Number.isFinite(a) || !(excess <= tol.atol)) {
      throw new Error(
        `${label}[${i}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > atol ${tol.atol} + rtol ${rtol}·|e|)`,
      );
    }
    if (excess > worst) {
      worst = excess;
      index = i;
    }
  }
  return { worst, index, count: expected.length };
}

/**
 * Which tuning candidates a kernel test checks: all of them when RUMINATE_ALL_CANDIDATES=1
 * (`ruminate test-kernels --all`), else the default plus a seeded rotating sample of
 * `count` others (the seed is printed by the caller so a failure replays with RUMINATE_TEST_SEED).
 */
export function candidateSample<T>(all: readonly T[], count: number, seed: number, defaultIndex = 0): T[] {
  const everything = typeof process !== 'undefined' && process.env.RUMINATE_ALL_CANDIDATES === '1';
  if (everything || all.length <= count + 1) return [...all];
  const rand = seededRandom(seed);
  const rest = all.map((_, i) => i).filter((i) => i !== defaultIndex);
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [rest[i], rest[j]] = [rest[j] as number, rest[i] as number];
  }
  return [defaultIndex, ...rest.slice(0, count)].map((i) => all[i] as T);
}

/**
 * candidateSample over a declared tuning space: its GPU default, `count` others, and its CPU
 * default when it declares one (what a CPU adapter, this machine included, runs).
 */
export function spaceSample(space: TuningSpace, count: number, seed: number): TuningPoint[] {
  const sampled = candidateSample(space.candidates, count, seed, defaultIndex(space));
  const cpu = space.cpuDefaults[0];
  const same = (c: TuningPoint) => JSON.stringify(c) === JSON.stringify(cpu);
  return cpu && !sampled.some(same) ? [...sampled, cpu] : sampled;
}
