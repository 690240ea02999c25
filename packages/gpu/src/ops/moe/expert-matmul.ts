// Expert matmul over routed rows (kernels-wgsl/moe/expert-matmul.wgsl) and the weighted
// combine of the experts' outputs (kernels-wgsl/moe/combine.wgsl). An MoE FFN is:
//   gating → up = E(ffn_up_exps, x broadcast), gate = E(ffn_gate_exps, x broadcast)
//   → act = silu(gate)·up over [rows·topk][ff] (elementwise op) → d = E(ffn_down_exps, act per slot)
//   → out = Σ_slot weight · d (MoeCombineOp; ACCUMULATE adds into a residual stream).
import { kernelSources } from '../../kernels/sources.generated.ts';
import { type GgmlTypeName, ggmlRowBytes, ggmlType } from '../../quant/ggml-types.ts';
import type { BufferSlice } from '../../tensor.ts';
import type { KernelContext } from '../context.ts';
import { dequantSnippet } from '../matmul/shader-source.ts';
import {
  type BufferArg,
  bindGroup,
  bindingOf,
  check,
  dispatch,
  type EncodeTarget,
  grid,
} from '../shared/dispatch.ts';
import { chooseConfig, type TuningPoint, type TuningSpace, tuningSpace } from '../shared/tuning-space.ts';
import { UniformCache } from '../shared/uniform-cache.ts';

/** The expert matmul's declared tuning space. */
export const expertMatmulTuningSpace: TuningSpace = tuningSpace('moe/expert-matmul.tuning.json');

/**
 * A 3-D GGUF expert tensor resident on the GPU in its stored type: `experts` matrices of
 * `rows` × `cols` (GGUF ne = [cols, rows, experts]; `ffn_{gate,up,down}_exps`), bound whole.
 */
export interface ExpertWeights extends BufferSlice {
  /** Element type as stored. */
  dtype: GgmlTypeName;
  /** Experts in this binding (GGUF ne[2], or a range of it when the tensor is split across bindings). */
  experts: number;
  /** Global id of this binding's first expert when the tensor is split by expert ranges (default 0). */
  firstExpert?: number;
  /**
   * Byte offset of the first expert's data inside the binding (default 0): a range's start is
   * rarely 256-byte aligned, so its binding may start earlier. Even; a multiple of 4 for f32.
   */
  expertByteOffset?: number;
  /** Output features per expert (GGUF ne[1]). */
  rows: number;
  /** Input features (GGUF ne[0]); a multiple of 8 and of the type's block size. */
  cols: number;
}

/**
 * Arguments of `ExpertMatmulOp.encode`:
 *   y[a][j] = Σ_c W[e(a)][j][c] · x[row(a)·xRowStride + slot(a)·xSlotStride + c]
 * for every assignment a = row·topk + slot of `groups` (from MoeGatingOp), y f32
 * `[rows·topk][weights.rows]`. Broadcast input (gate/up): xSlotStride 0 (default), xRowStride
 * = cols (default). Per-slot input (down, after silu·mul): xSlotStride = cols, xRowStride = topk·cols.
 */
export interface ExpertMatmulArgs {
  /** The expert tensor. */
  weights: ExpertWeights;
  /** f32 activations. */
  x: BufferArg;
  /** Grouping from MoeGatingOp (counts, offsets, assignments). */
  groups: BufferArg;
  /** f32 `[rows·topk][weights.rows]` output (every entry written). */
  y: BufferArg;
  /** Tokens routed. */
  rows: number;
  /** Experts per token. */
  topk: number;
  /** f32 elements between rows of x (default cols). */
  xRowStride?: number;
  /** f32 elements between slots of one row of x (default 0: the row is shared by its slots). */
  xSlotStride?: number;
  /**
   * Experts of the routing (MoeGatingOp's `experts`; default firstExpert + weights.experts).
   * A tensor split across bindings by expert ranges is encoded once per range, all into the same y.
   */
  routedExperts?: number;
}

/** Grouped expert GEMV/GEMM reading only the selected experts' weights, for one weight type. */
export class ExpertMatmulOp {
  private readonly uniforms: UniformCache;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly pipeline: GPUComputePipeline,
    /** The weight type compiled for. */
    readonly dtype: GgmlTypeName,
    /** The knobs compiled with. */
    readonly config: TuningPoint,
  ) {
    this.uniforms = new UniformCache(ctx.device, 'moe/expert-matmul');
  }

  /**
   * Compiles the kernel for weights of `dtype` (`config`: knobs WG and RPW, powers of two;
   * else the tuner's winner for `bucket` — `moeShapeBucket(shape)` — else the shipped default).
   */
  static async prepare(
    ctx: KernelContext,
    opts: { dtype: GgmlTypeName; config?: TuningPoint; bucket?: string },
  ): Promise<ExpertMatmulOp> {
    const config = chooseConfig(ctx, expertMatmulTuningSpace, opts.bucket ?? opts.dtype, opts.config);
    const wg = config.WG ?? 64;
    const rpw = config.RPW ?? 4;
    const pow2 = (v: number) => v > 0 && (v & (v - 1)) === 0;
    check(
      pow2(wg) && pow2(rpw) && rpw <= wg,
      'config',
      `WG and RPW must be powers of two with RPW ≤ WG (got ${wg}, ${rpw}).`,
    );
    const source = `${dequantSnippet(opts.dtype)}\n${kernelSources['moe/expert-matmul.wgsl'] ?? ''}`;
    const { pipeline } = await ctx.pipelines.get({
      name: `moe/expert-matmul:${opts.dtype}`,
      source,
      constants: { WG: wg, RPW: rpw },
    });
    return new ExpertMatmulOp(ctx, pipeline, opts.dtype, config);
  }

  /** Records the expert matmul (one dispatch: (rows tiles) × experts workgroups; unselected experts exit at once). */
  encode(target: EncodeTarget, args: ExpertMatmulArgs): void {
    const w = args.weights;
    const { rows, topk } = args;
    check(
      w.dtype === this.dtype,
      'weights.dtype',
      `this op was compiled for ${this.dtype}, weights are ${w.dtype}.`,
    );
    const type = ggmlType(w.dtype);
    check(
      w.cols % 8 === 0 && w.cols % type.blockSize === 0,
      'weights.cols',
      `cols (${w.cols}) must be a multiple of 8 and of ${w.dtype}'s block size ${type.blockSize}.`,
    );
    const rowBytes = ggmlRowBytes(type, w.cols);
    const expertBytes = rowBytes * w.rows;
    const baseByte = w.expertByteOffset ?? 0;
    check(
      Number.isInteger(baseByte) && baseByte >= 0 && baseByte % (w.dtype === 'f32' ? 4 : 2) === 0,
      'weights.expertByteOffset',
      `expertByteOffset must be a non-negative even byte count (a multiple of 4 for f32), got ${baseByte}.`,
    );
    check(
      w.size >= baseByte + expertBytes * w.experts,
      'weights',
      `weights bind ${w.size} bytes; ${w.experts} experts need ${expertBytes * w.experts}.`,
    );
    const xRow = args.xRowStride ?? w.cols;
    const xSlot = args.xSlotStride ?? 0;
    const xNeed = (rows - 1) * xRow + (topk - 1) * xSlot + w.cols;
    check(args.x.size >= xNeed * 4, 'x', `x must hold ${xNeed} f32 for these strides.`);
    check(args.y.size >= rows * topk * w.rows * 4, 'y', `y must hold ${rows}×${topk}×${w.rows} f32.`);
    const first = w.firstExpert ?? 0;
    const routed = args.routedExperts ?? first + w.experts;
    check(
      Number.isInteger(first) && first >= 0 && first + w.experts <= routed,
      'weights.firstExpert',
      `experts ${first}..${first + w.experts - 1} lie outside the routing's ${routed} experts.`,
    );
    check(
      args.groups.size >= (2 * routed + 1 + rows * topk) * 4,
      'groups',
      'groups must come from MoeGatingOp for these rows, experts and topk.',
    );
    check(
      w.experts <= (this.ctx.limits.maxComputeWorkgroupsPerDimension ?? 65535),
      'weights.experts',
      'too many experts for one grid dimension.',
    );
    const rpw = this.config.RPW ?? 4;
    const dims = this.uniforms.get([
      w.rows,
      w.cols,
      topk,
      routed,
      expertBytes,
      rowBytes,
      xRow,
      xSlot,
      first,
      baseByte,
      0,
      0,
    ]);
    const group = bindGroup(this.ctx.device, this.pipeline, 'moe/expert-matmul', [
      dims,
      bindingOf(w),
      bindingOf(args.x),
      bindingOf(args.groups),
      bindingOf(args.y),
    ]);
    dispatch(target, 'moe/expert-matmul', this.pipeline, group, Math.ceil(w.rows / rpw), w.experts);
  }
}

/** The combine kernel's tuning space. */
export const moeCombineTuningSpace: TuningSpace = tuningSpace('moe/combine.tuning.json');

/**
 * Arguments of `MoeCombineOp.encode`: out[row][j] (=, or += when compiled with accumulate)
 * Σ_slot weights[row·topk + slot] · y[(row·topk + slot)·n + j]; y from ExpertMatmulOp, weights from MoeGatingOp.
 */
export interface MoeCombineArgs {
  /** f32 `[rows·topk][n]` per-assignment expert outputs. */
  y: BufferArg;
  /** f32 `[rows][topk]` gating weights. */
  weights: BufferArg;
  /** f32 `[rows][n]` output. */
  out: BufferArg;
  /** Tokens. */
  rows: number;
  /** Output features. */
  n: number;
  /** Experts per token. */
  topk: number;
}

/** Weighted, deterministic (slot-ordered) sum of the routed experts' outputs per row. */
export class MoeCombineOp {
  private readonly uniforms: UniformCache;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly pipeline: GPUComputePipeline,
    /** Whether the sum is added into `out` (residual) rather than stored. */
    readonly accumulate: boolean,
    /** The knobs compiled with. */
    readonly config: TuningPoint,
  ) {
    this.uniforms = new UniformCache(ctx.device, 'moe/combine');
  }

  /** Compiles the combine (`accumulate`: add into out, e.g. the residual stream). */
  static async prepare(
    ctx: KernelContext,
    opts: { accumulate?: boolean; config?: TuningPoint } = {},
  ): Promise<MoeCombineOp> {
    const config = chooseConfig(ctx, moeCombineTuningSpace, 'any', opts.config);
    const { pipeline } = await ctx.pipelines.get({
      name: 'moe/combine',
      source: kernelSources['moe/combine.wgsl'] ?? '',
      defines: { ACCUMULATE: opts.accumulate ?? false },
      constants: { WG: config.WG ?? 64 },
    });
    return new MoeCombineOp(ctx, pipeline, opts.accumulate ?? false, config);
  }

  /** Records the combine (one dispatch). */
  encode(target: EncodeTarget, args: MoeCombineArgs): void {
    const { rows, n, topk } = args;
    check(rows > 0 && n > 0 && topk > 0, 'rows', 'rows, n and topk must be positive.');
    check(args.y.size >= rows * topk * n * 4, 'y', `y must hold ${rows}×${topk}×${n} f32.`);
    check(args.weights.size >= rows * topk * 4, 'weights', `weights must hold ${rows}×${topk} f32.`);
    check(args.out.size >= rows * n * 4, 'out', `out must hold ${rows}×${n} f32.`);
    const wg = this.config.WG ?? 64;
    const [gx, gy] = grid(Math.ceil((rows * n) / wg), this.ctx.limits.maxComputeWorkgroupsPerDimension);
    const dims = this.uniforms.get([rows, n, topk, gx]);
    const group = bindGroup(this.ctx.device, this.pipeline, 'moe/combine', [
      dims,
      bindingOf(args.y),
      bindingOf(args.weights),
      bindingOf(args.out),
    ]);
    dispatch(target, 'moe/combine', this.pipeline, group, gx, gy);
  }
}
