// RMSNorm over rows or over heads of rows, optionally fused with the residual add before it
// (kernels-wgsl/norm/rms-norm.wgsl).
import { kernelSources } from '../../kernels/sources.generated.ts';
import type { KernelContext } from '../context.ts';
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

/** The RMSNorm kernel's declared tuning space. */
export const rmsNormTuningSpace: TuningSpace = tuningSpace('norm/rms-norm.tuning.json');

/**
 * Which variant an RmsNormOp runs:
 * - `out`: `out = norm(x)·w`;
 * - `in-place`: `x = norm(x)·w` (qwen3's per-head q/k norm on the q or k buffer);
 * - `residual`: `x += delta; out = norm(x)·w` (the residual add fused before the next norm).
 */
export type RmsNormMode = 'out' | 'in-place' | 'residual';

/**
 * Arguments of `RmsNormOp.encode` (f32, row-major). The op normalises `rows · groupsPerRow`
 * groups of `dim` values; group (r, j) is `x[r*xStride + xOffset + j*dim + c]`, c < dim, and is
 * written to `out[r*oStride + oOffset + j*dim + c]` (or back into x in place). `w` has `dim`
 * values. Whole-row norm: groupsPerRow 1, dim = hidden size. Per-head norm: dim = headDim,
 * groupsPerRow = heads (xOffset selects q or k heads inside a fused qkv row).
 */
export interface RmsNormArgs {
  /** Input rows (also the output in place; also updated in `residual` mode). */
  x: BufferArg;
  /** `[dim]` weight. */
  w: BufferArg;
  /** Output rows (modes `out` and `residual`). */
  out?: BufferArg;
  /** Added into x before the norm (`residual` mode), same addressing as x. */
  delta?: BufferArg;
  /** Rows. */
  rows: number;
  /** Values per group. */
  dim: number;
  /** Groups per row (default 1). */
  groupsPerRow?: number;
  /** Elements between x rows (default groupsPerRow·dim). */
  xStride?: number;
  /** Element offset of x's first group (default 0). */
  xOffset?: number;
  /** Elements between out rows (default groupsPerRow·dim). */
  oStride?: number;
  /** Element offset of out's first group (default 0). */
  oOffset?: number;
  /** Added to the mean square (GGUF `*.attention.layer_norm_rms_epsilon`). */
  eps: number;
}

/** RMSNorm with a weight, one dispatch (one workgroup per group). */
export class RmsNormOp {
  private readonly uniforms: UniformCache;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly pipeline: GPUComputePipeline,
    /** The variant compiled. */
    readonly mode: RmsNormMode,
    /** The knobs compiled with. */
    readonly config: TuningPoint,
  ) {
    this.uniforms = new UniformCache(ctx.device, 'norm/rms-norm');
  }

  /** Compiles the variant (`config`: explicit knob `WG`, a power of two). */
  static async prepare(
    ctx: KernelContext,
    opts: { mode?: RmsNormMode; config?: TuningPoint } = {},
  ): Promise<RmsNormOp> {
    const mode = opts.mode ?? 'out';
    const config = chooseConfig(ctx, rmsNormTuningSpace, 'any', opts.config);
    const wg = config.WG ?? 64;
    check((wg & (wg - 1)) === 0, 'config.WG', `WG must be a power of two (got ${wg}).`);
    const { pipeline } = await ctx.pipelines.get({
      name: 'norm/rms-norm',
      source: kernelSources['norm/rms-norm.wgsl'] ?? '',
      defines: { IN_PLACE: mode === 'in-place', RESIDUAL: mode === 'residual' },
      constants: { WG: wg },
    });
    return new RmsNormOp(ctx, pipeline, mode, config);
  }

  /** Records the norm (one dispatch). */
  encode(target: EncodeTarget, args: RmsNormArgs): void {
    const gpr = args.groupsPerRow ?? 1;
    const { rows, dim } = args;
    check(rows > 0 && dim > 0 && gpr > 0, 'rows', `rows, dim and groupsPerRow must be positive.`);
    check(
      (args.out !== undefined) === (this.mode !== 'in-place'),
      'out',
      `mode ${this.mode}: out ${this.mode === 'in-place' ? 'must be omitted' : 'is required'}.`,
    );
    check(
      (args.delta !== undefined) === (this.mode === 'residual'),
      'delta',
      `delta is required exactly in residual mode (this op: ${this.mode}).`,
    );
    const xStride = args.xStride ?? gpr * dim;
    const oStride = args.oStride ?? gpr * dim;
    const params = this.uniforms.get(
      [rows * gpr, gpr, dim, xStride, args.xOffset ?? 0, oStride, args.oOffset ?? 0],
      [args.eps],
    );
    const entries = [params, bindingOf(args.w), bindingOf(args.x)];
    if (args.delta) entries.push(bindingOf(args.delta));
    if (args.out) entries.push(bindingOf(args.out));
    const group = bindGroup(this.ctx.device, this.pipeline, 'norm/rms-norm', entries);
    dispatch(
      target,
      'norm/rms-norm',
      this.pipeline,
      group,
      ...grid(rows * gpr, this.ctx.limits.maxComputeWorkgroupsPerDimension),
    );
  }
  /** Frees the op's uniform buffers; the op must not be encoded again. */
  destroy(): void {
    this.uniforms.destroy();
  }
}
