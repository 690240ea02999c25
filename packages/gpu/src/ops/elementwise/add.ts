// Residual add and bias add over f32 rows (kernels-wgsl/elementwise/add.wgsl).
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

/** The add kernel's declared tuning space. */
export const addTuningSpace: TuningSpace = tuningSpace('elementwise/add.tuning.json');

/** How an AddOp is built. */
export interface AddOptions {
  /** `a += b` in place (no `out` argument) instead of `out = a + b`. */
  inPlace?: boolean;
  /** Scale b by sigmoid(gate logit of its row): `out = a + sigmoid(g_row)·b` (every encode passes `gate`). */
  gated?: boolean;
  /** Explicit knobs (`WG`, `VPT`); default: the tuner's choice or the shipped default. */
  config?: TuningPoint;
}

/**
 * Arguments of `AddOp.encode`. All f32. With `bLen = n` (default) it is the residual add
 * `out[i] = a[i] + b[i]`; with `bLen = cols` it adds the bias row `b[0..cols)` to every row of
 * a row-major `[n / cols][cols]` matrix.
 */
export interface AddArgs {
  /** `[n]` input (and output when in place). */
  a: BufferArg;
  /** `[bLen]` second operand. */
  b: BufferArg;
  /** `[n]` output; omitted when the op was prepared in place. */
  out?: BufferArg;
  /** Values to write. */
  n: number;
  /** Period of `b`: `n` for a plain add, the row length for a bias (default `n`). */
  bLen?: number;
  /** Gated ops: per-row gate logits, row r's at `gate[r*gateStride + gateOffset]`. */
  gate?: BufferArg;
  /** Gated ops: values per row (per gate logit). */
  rowLen?: number;
  /** Gated ops: elements between gate logits (default 1). */
  gateStride?: number;
  /** Gated ops: index of row 0's gate logit (default 0). */
  gateOffset?: number;
}

/** `out = a + b` or `a += b`, with `b` optionally broadcast over rows (bias add) or scaled by a per-row sigmoid gate. */
export class AddOp {
  private readonly uniforms: UniformCache;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly pipeline: GPUComputePipeline,
    private readonly inPlace: boolean,
    private readonly gated: boolean,
    /** The knobs this op was compiled with. */
    readonly config: TuningPoint,
  ) {
    this.uniforms = new UniformCache(ctx.device, 'elementwise/add');
  }

  /** Compiles the kernel variant. */
  static async prepare(ctx: KernelContext, opts: AddOptions = {}): Promise<AddOp> {
    const config = chooseConfig(ctx, addTuningSpace, 'any', opts.config);
    const { pipeline } = await ctx.pipelines.get({
      name: 'elementwise/add',
      source: kernelSources['elementwise/add.wgsl'] ?? '',
      defines: { IN_PLACE: opts.inPlace === true, GATED: opts.gated === true },
      constants: { WG: config.WG ?? 256, VPT: config.VPT ?? 4 },
    });
    return new AddOp(ctx, pipeline, opts.inPlace === true, opts.gated === true, config);
  }

  /** Records the add (one dispatch). */
  encode(target: EncodeTarget, args: AddArgs): void {
    const bLen = args.bLen ?? args.n;
    check(args.n > 0 && Number.isInteger(args.n), 'n', `n must be a positive integer (got ${args.n}).`);
    check(bLen > 0 && args.n % bLen === 0, 'bLen', `bLen (${bLen}) must divide n (${args.n}).`);
    check(
      this.inPlace === (args.out === undefined),
      'out',
      this.inPlace
        ? 'An in-place add takes no out buffer.'
        : 'out is required (the op was not prepared in place).',
    );
    const wg = this.config.WG ?? 256;
    const vpt = this.config.VPT ?? 4;
    const rowLen = args.rowLen ?? args.n;
    check(
      (args.gate !== undefined) === this.gated,
      'gate',
      this.gated
        ? 'This op is gated: pass gate (and rowLen).'
        : 'Prepare the op with { gated: true } to pass gate.',
    );
    check(rowLen > 0 && args.n % rowLen === 0, 'rowLen', `rowLen (${rowLen}) must divide n (${args.n}).`);
    const params = this.uniforms.get([
      args.n,
      bLen,
      rowLen,
      args.gateStride ?? 1,
      args.gateOffset ?? 0,
      0,
      0,
      0,
    ]);
    const entries: (GPUBuffer | GPUBufferBinding | undefined)[] = [
      params,
      bindingOf(args.a),
      bindingOf(args.b),
      args.out ? bindingOf(args.out) : undefined,
      args.gate ? bindingOf(args.gate) : undefined,
    ];
    const group = bindGroup(this.ctx.device, this.pipeline, 'elementwise/add', entries);
    dispatch(
      target,
      'elementwise/add',
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
