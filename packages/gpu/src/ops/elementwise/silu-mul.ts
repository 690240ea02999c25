// SwiGLU gating, silu(gate) · up (kernels-wgsl/elementwise/silu-mul.wgsl).
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

/** The silu-mul kernel's declared tuning space. */
export const siluMulTuningSpace: TuningSpace = tuningSpace('elementwise/silu-mul.tuning.json');

/**
 * Arguments of `SiluMulOp.encode`, all f32 row-major:
 * `out[r*cols + c] = silu(gate[r*gateStride + gateOffset + c]) * up[r*upStride + upOffset + c]`
 * for r < rows, c < cols. For a fused `[rows][2*ff]` gate|up matmul output pass the same buffer
 * as gate and up with strides 2*ff and offsets 0 and ff.
 */
export interface SiluMulArgs {
  /** Gate activations. */
  gate: BufferArg;
  /** Up activations (may be the same buffer as gate). */
  up: BufferArg;
  /** `[rows][cols]` output. */
  out: BufferArg;
  /** Rows. */
  rows: number;
  /** Values per row (the FFN width). */
  cols: number;
  /** Elements between gate rows (default cols). */
  gateStride?: number;
  /** Element offset of gate[0][0] (default 0). */
  gateOffset?: number;
  /** Elements between up rows (default cols). */
  upStride?: number;
  /** Element offset of up[0][0] (default 0). */
  upOffset?: number;
}

/** silu(gate) · up over rows, one dispatch. */
export class SiluMulOp {
  private readonly uniforms: UniformCache;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly pipeline: GPUComputePipeline,
    /** The knobs this op was compiled with. */
    readonly config: TuningPoint,
  ) {
    this.uniforms = new UniformCache(ctx.device, 'elementwise/silu-mul');
  }

  /** Compiles the kernel (`config`: explicit knobs `WG`, `VPT`). */
  static async prepare(
    ctx: KernelContext,
    opts: { config?: TuningPoint; act?: 'silu' | 'gelu' } = {},
  ): Promise<SiluMulOp> {
    const config = chooseConfig(ctx, siluMulTuningSpace, 'any', opts.config);
    const { pipeline } = await ctx.pipelines.get({
      name: 'elementwise/silu-mul',
      source: kernelSources['elementwise/silu-mul.wgsl'] ?? '',
      // GeGLU (Gemma): gelu(gate)·up with ggml's f16 GELU table's rounding.
      defines: { GELU: opts.act === 'gelu' },
      constants: { WG: config.WG ?? 256, VPT: config.VPT ?? 4 },
    });
    return new SiluMulOp(ctx, pipeline, config);
  }

  /** Records silu(gate)·up (one dispatch). */
  encode(target: EncodeTarget, args: SiluMulArgs): void {
    const { rows, cols } = args;
    check(rows > 0 && cols > 0, 'rows', `rows and cols must be positive (got ${rows}×${cols}).`);
    const gateStride = args.gateStride ?? cols;
    const upStride = args.upStride ?? cols;
    const gateOffset = args.gateOffset ?? 0;
    const upOffset = args.upOffset ?? 0;
    const wg = this.config.WG ?? 256;
    const vpt = this.config.VPT ?? 4;
    const params = this.uniforms.get([rows, cols, gateStride, gateOffset, upStride, upOffset, cols, 0]);
    const group = bindGroup(this.ctx.device, this.pipeline, 'elementwise/silu-mul', [
      params,
      bindingOf(args.gate),
      bindingOf(args.up),
      bindingOf(args.out),
    ]);
    dispatch(
      target,
      'elementwise/silu-mul',
      this.pipeline,
      group,
      ...grid(Math.ceil((rows * cols) / (wg * vpt)), this.ctx.limits.maxComputeWorkgroupsPerDimension),
    );
  }
  /** Frees the op's uniform buffers; the op must not be encoded again. */
  destroy(): void {
    this.uniforms.destroy();
  }
}
