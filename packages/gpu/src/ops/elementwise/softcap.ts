// Logit soft-capping in place, x = c·tanh(x / c) (kernels-wgsl/elementwise/softcap.wgsl): Gemma's
// final logits before the sampler.
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

/** The soft-cap kernel's declared tuning space. */
export const softcapTuningSpace: TuningSpace = tuningSpace('elementwise/softcap.tuning.json');

/** Arguments of `SoftcapOp.encode`. */
export interface SoftcapArgs {
  /** `[n]` f32 values, capped in place. */
  x: BufferArg;
  /** Values. */
  n: number;
  /** The cap c > 0. */
  cap: number;
}

/** In-place `x = c·tanh(x / c)`, one dispatch. */
export class SoftcapOp {
  private readonly uniforms: UniformCache;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly pipeline: GPUComputePipeline,
    /** The knobs this op was compiled with. */
    readonly config: TuningPoint,
  ) {
    this.uniforms = new UniformCache(ctx.device, 'elementwise/softcap');
  }

  /** Compiles the kernel. */
  static async prepare(ctx: KernelContext, opts: { config?: TuningPoint } = {}): Promise<SoftcapOp> {
    const config = chooseConfig(ctx, softcapTuningSpace, 'any', opts.config);
    const { pipeline } = await ctx.pipelines.get({
      name: 'elementwise/softcap',
      source: kernelSources['elementwise/softcap.wgsl'] ?? '',
      constants: { WG: config.WG ?? 256, VPT: config.VPT ?? 4 },
    });
    return new SoftcapOp(ctx, pipeline, config);
  }

  /** Records the soft-cap. */
  encode(target: EncodeTarget, args: SoftcapArgs): void {
    check(args.n > 0 && Number.isInteger(args.n), 'n', `n must be a positive integer (got ${args.n}).`);
    check(args.cap > 0 && Number.isFinite(args.cap), 'cap', `cap must be > 0 (got ${args.cap}).`);
    const wg = this.config.WG ?? 256;
    const vpt = this.config.VPT ?? 4;
    const params = this.uniforms.get([args.n, 0], [args.cap, 0]);
    const group = bindGroup(this.ctx.device, this.pipeline, 'elementwise/softcap', [
      params,
      bindingOf(args.x),
    ]);
    dispatch(
      target,
      'elementwise/softcap',
      this.pipeline,
      group,
      ...grid(Math.ceil(args.n / (wg * vpt)), this.ctx.limits.maxComputeWorkgroupsPerDimension),
    );
  }

  /** Frees the op's uniform buffers; the op must not be encoded again. */
  destroy(): void {
    this.uniforms.destroy();
  }
}
