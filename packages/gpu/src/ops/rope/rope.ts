// RoPE in place on q and/or k rows with a position per row (kernels-wgsl/rope/rope.wgsl).
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
import { type RopeParams, ropeUniforms, withRopeSnippet } from './rope-params.ts';

/** The RoPE kernel's declared tuning space. */
export const ropeTuningSpace: TuningSpace = tuningSpace('rope/rope.tuning.json');

/**
 * Arguments of `RopeOp.encode`. Rotates in place head h < nHeads of row r < rows, the f32
 * values `x[r*rowStride + offset + h*headDim + d]`, d < nRot, by the position
 * `positions[r*posStride + posOffset]` (u32). To rotate q and k heads of a fused
 * `[rows][(nHeads + 2·nKv)·headDim]` qkv buffer in one dispatch, pass nHeads = nHeads + nKv
 * (k heads follow q heads and use the same rotation). With the attention ops' row info
 * (`u32 [rows][2]` = slot, position) pass posStride 2, posOffset 1.
 */
export interface RopeArgs {
  /** Rows of heads, rotated in place. */
  x: BufferArg;
  /** u32 positions. */
  positions: BufferArg;
  /** Rows. */
  rows: number;
  /** Heads rotated per row. */
  nHeads: number;
  /** Values per head. */
  headDim: number;
  /** Elements between rows (default nHeads·headDim). */
  rowStride?: number;
  /** Element offset of row 0's first head (default 0). */
  offset?: number;
  /** u32 elements between positions (default 1). */
  posStride?: number;
  /** Index of row 0's position (default 0). */
  posOffset?: number;
  /** The model's rotation. */
  rope: RopeParams;
}

/** In-place rotary embedding, one dispatch (one thread per rotated pair). */
export class RopeOp {
  private readonly uniforms: UniformCache;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly pipeline: GPUComputePipeline,
    private readonly freqFactors: boolean,
    /** The knobs compiled with. */
    readonly config: TuningPoint,
  ) {
    this.uniforms = new UniformCache(ctx.device, 'rope/rope');
  }

  /**
   * Compiles the kernel. `freqFactors`: the variant that divides each frequency by a factor
   * buffer (then every encode must pass `rope.freqFactors`). `config`: explicit knob `WG`.
   */
  static async prepare(
    ctx: KernelContext,
    opts: { freqFactors?: boolean; config?: TuningPoint } = {},
  ): Promise<RopeOp> {
    const config = chooseConfig(ctx, ropeTuningSpace, 'any', opts.config);
    const { pipeline } = await ctx.pipelines.get({
      name: 'rope/rope',
      source: withRopeSnippet('rope/rope.wgsl'),
      defines: { FREQ_FACTORS: opts.freqFactors === true },
      constants: { WG: config.WG ?? 64 },
    });
    return new RopeOp(ctx, pipeline, opts.freqFactors === true, config);
  }

  /** Records the rotation (one dispatch). */
  encode(target: EncodeTarget, args: RopeArgs): void {
    const { rows, nHeads, headDim } = args;
    check(rows > 0 && nHeads > 0 && headDim > 0, 'rows', 'rows, nHeads and headDim must be positive.');
    check(
      (args.rope.freqFactors !== undefined) === this.freqFactors,
      'rope.freqFactors',
      this.freqFactors
        ? 'This op was prepared for frequency factors: pass rope.freqFactors.'
        : 'Prepare the op with { freqFactors: true } to use rope.freqFactors.',
    );
    const r = ropeUniforms(args.rope, headDim);
    const nRot = r.u32[0] as number;
    const params = this.uniforms.get(
      [
        rows,
        nHeads,
        headDim,
        nRot,
        args.rowStride ?? nHeads * headDim,
        args.offset ?? 0,
        args.posStride ?? 1,
        args.posOffset ?? 0,
        r.u32[1] as number,
        0,
      ],
      r.f32,
    );
    const entries = [params, bindingOf(args.x), bindingOf(args.positions)];
    if (args.rope.freqFactors) entries.push(bindingOf(args.rope.freqFactors));
    const group = bindGroup(this.ctx.device, this.pipeline, 'rope/rope', entries);
    const wg = this.config.WG ?? 64;
    dispatch(
      target,
      'rope/rope',
      this.pipeline,
      group,
      ...grid(Math.ceil((rows * nHeads * (nRot / 2)) / wg), this.ctx.limits.maxComputeWorkgroupsPerDimension),
    );
  }
  /** Frees the op's uniform buffers; the op must not be encoded again. */
  destroy(): void {
    this.uniforms.destroy();
  }
}
