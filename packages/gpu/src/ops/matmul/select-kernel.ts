// The one place that chooses a matmul kernel for a shape (ratchet's `select_kernel` is the
// model): GEMV for m ≤ 16 activation rows, the tiled GEMM above; the configuration is the
// caller's, else the tuner's winner for the shape's bucket when it can run here, else the shipped
// default for this adapter class (CPU-shaped on SwiftShader and the like); and the WGSL source
// that configuration runs (the CPU-shaped ROWS kernels, the integer-dot q4_0 GEMV over
// activations rounded to 8 bits, register tiles, or the kernel's own). `reason` says which rule
// decided, for reports and for a reader chasing a slow shape.
import type { GgmlTypeName } from '../../quant/ggml-types.ts';
import type { KernelConfig, KernelContext } from '../context.ts';
import { type MatmulSourceName, matmulSourceName } from './shader-source.ts';
import { type MatmulKernelName, matmulConfigProblem, matmulDefault } from './tuning-space.ts';

/** Largest m the GEMV kernel serves; larger m runs the tiled GEMM. */
export const GEMV_MAX_M = 16;

/** A matmul shape: y[m, n] = x[m, k] · W[n, k]ᵀ with W stored as `dtype`. */
export interface MatmulShapeKey {
  /** Activation rows. */
  m: number;
  /** Input features (weight columns). */
  k: number;
  /** Output features (weight rows). */
  n: number;
  /** Weight type as stored. */
  dtype: GgmlTypeName;
}

/** What serves one matmul shape on this device. */
export interface MatmulKernelChoice {
  /** The kernel, and the tuner's op `matmul/<kernel>`. */
  kernel: MatmulKernelName;
  /** The WGSL source (kernels-wgsl/matmul/<source>.wgsl) the configuration runs. */
  source: MatmulSourceName;
  /** Override constants and defines. */
  config: KernelConfig;
  /** Which rule chose the configuration: `explicit`, `tuned`, `cpu-default` or `default`, with the shape bucket. */
  reason: string;
}

/** Which kernel serves `m` activation rows. */
export function matmulKernelFor(m: number): MatmulKernelName {
  return m <= GEMV_MAX_M ? 'gemv' : 'gemm';
}

/** The activation-row tile a GEMV pipeline is compiled for (1, 2, 4, 8 or 16 ≥ m). */
export function gemvMTile(m: number): number {
  let t = 1;
  while (t < m) t *= 2;
  return Math.min(t, GEMV_MAX_M);
}

const pow2Ceil = (v: number) => 2 ** Math.ceil(Math.log2(Math.max(1, v)));

/** Tuner op name for a kernel (`matmul/gemv`, `matmul/gemm`). */
export function matmulOpName(kernel: MatmulKernelName): string {
  return `matmul/${kernel}`;
}

/**
 * Shape bucket a tuned configuration serves, e.g. `m1-k2048-n2048-q4_0`: m by its GEMV tile
 * (1–16) or its power of two (GEMM, capped at 512), k and n rounded up to powers of two.
 */
export function matmulShapeBucket(m: number, k: number, n: number, dtype: GgmlTypeName): string {
  const mb = m <= GEMV_MAX_M ? gemvMTile(m) : Math.min(512, pow2Ceil(m));
  return `m${mb}-k${pow2Ceil(k)}-n${pow2Ceil(n)}-${dtype}`;
}

/**
 * Whether matmuls over `dtype` weights compute with activations rounded to 8 bits per block of
 * 32: q4_0 on a context that asks for it (`KernelContext.q8Activations`, CPU adapters), as
 * llama.cpp's CPU path does, so that its integer-dot kernel (gemv-swar-q4_0.wgsl) can serve.
 */
export function roundsActivations(ctx: Pick<KernelContext, 'q8Activations'>, dtype: GgmlTypeName): boolean {
  return ctx.q8Activations === true && dtype === 'q4_0';
}

/** The source a configuration of `kernel` runs for `m` activation rows of `dtype` weights on this context. */
export function matmulSourceFor(
  ctx: Pick<KernelContext, 'q8Activations'>,
  kernel: MatmulKernelName,
  config: KernelConfig,
  m: number,
  dtype: GgmlTypeName,
): MatmulSourceName {
  return matmulSourceName(kernel, config, gemvMTile(m), roundsActivations(ctx, dtype));
}

/** Chooses the kernel, configuration and source for one shape (`explicit`: a caller's configuration, as the tuner and tests pass). */
export function selectMatmulKernel(
  ctx: KernelContext,
  shape: MatmulShapeKey,
  explicit?: KernelConfig,
): MatmulKernelChoice {
  const { m, k, n, dtype } = shape;
  const kernel = matmulKernelFor(m);
  const bucket = matmulShapeBucket(m, k, n, dtype);
  const choose = (config: KernelConfig, reason: string): MatmulKernelChoice => ({
    kernel,
    source: matmulSourceFor(ctx, kernel, config, m, dtype),
    config,
    reason: `${reason} for ${bucket}`,
  });
  if (explicit) return choose(explicit, 'explicit');
  const tuned = ctx.tuned?.(matmulOpName(kernel), bucket);
  if (tuned && matmulConfigProblem(ctx, kernel, tuned, gemvMTile(m)) === undefined)
    return choose(tuned, 'tuned');
  const shipped = matmulDefault(kernel, ctx, gemvMTile(m));
  return choose(shipped.config, shipped.isDefault ? 'default' : 'cpu-default');
}
