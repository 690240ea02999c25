// The kernels of one model on the WebGPU backend, compiled before its weights exist (`loadModel`
// runs this while the weights stream in): the ops of a forward pass with this model's shapes and
// variants — Gemma's GeGLU, attention scale, soft-caps and sliding-window layers (their own KV
// write, whose k rotation uses their RoPE base, and their own attention window) — and the matmul
// variant of every problem the model runs.
import {
  type KernelContext,
  KvWriteOp,
  MatmulOp,
  type MatmulShape,
  PAGE_TOKENS,
  PagedAttentionOp,
  RmsNormOp,
  RopeOp,
  type RopeParams,
  SamplerOp,
  SiluMulOp,
  SoftcapOp,
} from '@ruminate/gpu';
import type { GpuModelSizes } from './gpu-model.ts';
import { type Hparams, ropeFactorsTensor } from './hparams.ts';

/** The ops one forward pass records. */
export interface Ops {
  matmul: MatmulOp;
  norm: RmsNormOp;
  normResidual: RmsNormOp;
  /** Per-head q/k norms (qwen3, gemma3) and Gemma's post-norms. */
  normInPlace: RmsNormOp | undefined;
  kvWrite: KvWriteOp;
  /** The sliding-window layers' KV write (their RoPE base), when the model has such layers. */
  kvWriteSwa: KvWriteOp | undefined;
  rope: RopeOp;
  attention: PagedAttentionOp;
  /** The sliding-window layers' attention, when the model has such layers. */
  attentionSwa: PagedAttentionOp | undefined;
  /** SwiGLU's or GeGLU's gating (the model's). */
  siluMul: SiluMulOp;
  /** The final logit soft-cap (Gemma), when the model has one. */
  softcap: SoftcapOp | undefined;
  sampler: SamplerOp;
}

/** Kernels compiled ahead of a model's weights (`compileGpuKernels`). */
export interface CompiledKernels {
  /** The ops of a forward pass. */
  ops: Ops;
  /** MatmulOp shape classes already compiled (`MatmulOp.shapeClass`). */
  preparedMatmuls: ReadonlySet<string>;
  /** The global layers' rotation; its `freqFactors` buffer (`factorsTensor`) is filled by `GpuModel.create`. */
  rope: RopeParams;
  /** The sliding-window layers' rotation (= `rope` without such layers). */
  ropeSwa: RopeParams;
  /** The frequency factors tensor the rotation divides by (Llama 3's, Phi-3's long or short), if any. */
  factorsTensor: string | undefined;
}

/**
 * Compiles the kernels a model of these hyper-parameters needs: the ops, and the matmul variant
 * each of `problems` runs on (one per weight type and row tile; `loadModel` passes the model's
 * problems at one-row decode and full prefill passes, from `modelMatmulProblems`).
 */
export async function compileGpuKernels(
  ctx: KernelContext,
  hp: Hparams,
  sizes: GpuModelSizes,
  problems: readonly MatmulShape[],
): Promise<CompiledKernels> {
  const factorsTensor = ropeFactorsTensor(hp, sizes.maxPagesPerSeq * PAGE_TOKENS);
  const rope: RopeParams = {
    neox: hp.ropeStyle === 'neox',
    base: hp.ropeBase,
    nRot: hp.ropeDims,
    scale: hp.ropeScale,
    magnitude: hp.ropeAttnFactor,
  };
  if (factorsTensor) {
    // The kernels bind the factors' buffer when compiled; `create` copies the tensor into it.
    rope.freqFactors = ctx.device.createBuffer({
      label: 'rope_freqs',
      size: Math.max(16, (hp.ropeDims / 2) * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
  }
  const sliding = hp.swaLayers.some((s) => s);
  const ropeSwa: RopeParams = sliding ? { ...rope, base: hp.ropeBaseSwa, scale: hp.ropeScaleSwa } : rope;
  const matmul = await MatmulOp.prepare(ctx);
  const prepared = new Set<string>();
  const matmuls: Promise<void>[] = [];
  for (const { m, k, n, dtype } of problems) {
    const key = matmul.shapeClass(dtype, m, k);
    if (prepared.has(key)) continue;
    prepared.add(key);
    matmuls.push(matmul.prepareShape({ dtype, rows: n, cols: k, m }));
  }
  const kv = {
    nKvHeads: hp.nKvHeads,
    headDim: hp.headDim,
    numPages: sizes.numPages,
    maxPagesPerSeq: sizes.maxPagesPerSeq,
  };
  const heads = {
    nHeads: hp.nHeads,
    nKvHeads: hp.nKvHeads,
    headDim: hp.headDim,
    maxPagesPerSeq: sizes.maxPagesPerSeq,
    scale: hp.attnScale,
    softcap: hp.attnSoftcap,
  };
  const none = Promise.resolve(undefined);
  const [norm, normResidual, normInPlace, kvWrite, kvWriteSwa, ropeOp, attention, attentionSwa] =
    await Promise.all([
      RmsNormOp.prepare(ctx, { mode: 'out' }),
      RmsNormOp.prepare(ctx, { mode: 'residual' }),
      hp.arch === 'qwen3' || hp.arch === 'gemma3' || hp.postNorms
        ? RmsNormOp.prepare(ctx, { mode: 'in-place' })
        : none,
      KvWriteOp.prepare(ctx, { ...kv, rope }),
      sliding ? KvWriteOp.prepare(ctx, { ...kv, rope: ropeSwa }) : none,
      RopeOp.prepare(ctx, { freqFactors: factorsTensor !== undefined }),
      PagedAttentionOp.prepare(ctx, heads),
      sliding ? PagedAttentionOp.prepare(ctx, { ...heads, window: hp.slidingWindow }) : none,
    ]);
  const [siluMul, softcap, sampler] = await Promise.all([
    SiluMulOp.prepare(ctx, { act: hp.ffnAct }),
    hp.finalSoftcap > 0 ? SoftcapOp.prepare(ctx) : none,
    // The sorts (top-k, top-p, log-probabilities) compile in the background after load.
    SamplerOp.prepare(ctx, { sorts: 'later' }),
    ...matmuls,
  ]);
  const ops: Ops = {
    matmul,
    norm,
    normResidual,
    normInPlace,
    kvWrite,
    kvWriteSwa,
    rope: ropeOp,
    attention,
    attentionSwa,
    siluMul,
    softcap,
    sampler,
  };
  return { ops, preparedMatmuls: prepared, rope, ropeSwa, factorsTensor };
}
