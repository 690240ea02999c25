// Scatter of new K and V rows into the paged pools, optionally rotating k (kernels-wgsl/attention/kv-write.wgsl).
import type { KernelContext } from '../context.ts';
import { type RopeParams, ropeUniforms, withRopeSnippet } from '../rope/rope-params.ts';
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

/** The KV write kernel's declared tuning space. */
export const kvWriteTuningSpace: TuningSpace = tuningSpace('attention/kv-write.tuning.json');

/** Fixed shape of a KvWriteOp (one per model; encode it once per layer with that layer's pools). */
export interface KvWriteShape {
  /** KV heads. */
  nKvHeads: number;
  /** Values per head (even). */
  headDim: number;
  /** Physical pages in each pool (pages ≥ this are skipped, never written). */
  numPages: number;
  /** Block-table columns. */
  maxPagesPerSeq: number;
}

/** How a KvWriteOp is built. */
export interface KvWriteOptions extends KvWriteShape {
  /** Rotate k while writing (fuses the k RoPE dispatch). */
  rope?: RopeParams;
  /**
   * Also rotate this many q heads in place in the same dispatch (fuses the q RoPE dispatch too;
   * needs `rope`; every encode then passes `q`, a buffer other than k and v).
   */
  qHeads?: number;
  /** Explicit knob `WG`. */
  config?: TuningPoint;
}

/**
 * Arguments of `KvWriteOp.encode`. For each row r < rows with `(slot, position) =
 * rowInfo[2r], rowInfo[2r+1]`, writes `k[r*kStride + kOffset + h*headDim + d]` (rotated by RoPE
 * at `position` when the op has rope) and `v[r*vStride + vOffset + h*headDim + d]` into the pools
 * at page `blockTable[slot*maxPagesPerSeq + position/16]`, token `position % 16`, kv head h.
 * Strides default to nKvHeads·headDim, offsets to 0 (pass the fused qkv buffer as both k and v
 * with stride (nHeads + 2·nKv)·headDim and offsets nHeads·headDim and (nHeads + nKv)·headDim).
 * Rows whose logical page is ≥ maxPagesPerSeq or whose page is ≥ numPages are skipped.
 */
export interface KvWriteArgs {
  /** New k rows (f32). */
  k: BufferArg;
  /** New v rows (f32; may be the same buffer as k). */
  v: BufferArg;
  /** `u32 [rows][2]`: (slot, position) per row. */
  rowInfo: BufferArg;
  /** `u32 [numSlots][maxPagesPerSeq]`. */
  blockTable: BufferArg;
  /** This layer's K pool `[numPages][16][nKvHeads][headDim]` f32. */
  kPool: BufferArg;
  /** This layer's V pool, same layout. */
  vPool: BufferArg;
  /** Rows to write. */
  rows: number;
  /** q rows rotated in place (ops prepared with qHeads): head h at `q[r*qStride + qOffset + h*headDim + d]`. */
  q?: BufferArg;
  /** Elements between q rows (default qHeads·headDim). */
  qStride?: number;
  /** Element offset of q row 0 (default 0). */
  qOffset?: number;
  kStride?: number;
  kOffset?: number;
  vStride?: number;
  vOffset?: number;
}

/** Writes new K/V rows into the paged pools through the block table (one dispatch). */
export class KvWriteOp {
  private readonly uniforms: UniformCache;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly pipeline: GPUComputePipeline,
    private readonly opts: KvWriteOptions,
    /** The knobs compiled with. */
    readonly config: TuningPoint,
  ) {
    this.uniforms = new UniformCache(ctx.device, 'attention/kv-write');
  }

  /** Compiles the kernel (with the k-rotation variant when `rope` is given). */
  static async prepare(ctx: KernelContext, opts: KvWriteOptions): Promise<KvWriteOp> {
    check(
      opts.headDim > 0 && opts.headDim % 2 === 0,
      'headDim',
      `headDim must be even (got ${opts.headDim}).`,
    );
    check(
      opts.nKvHeads > 0 && opts.maxPagesPerSeq > 0 && opts.numPages > 0,
      'nKvHeads',
      'nKvHeads, numPages and maxPagesPerSeq must be positive.',
    );
    if (opts.rope) ropeUniforms(opts.rope, opts.headDim);
    check(!opts.qHeads || opts.rope !== undefined, 'qHeads', 'Rotating q in the KV write needs rope params.');
    const config = chooseConfig(ctx, kvWriteTuningSpace, 'any', opts.config);
    const { pipeline } = await ctx.pipelines.get({
      name: 'attention/kv-write',
      source: withRopeSnippet('attention/kv-write.wgsl'),
      defines: {
        ROPE: opts.rope !== undefined,
        ROPE_Q: (opts.qHeads ?? 0) > 0,
        FREQ_FACTORS: opts.rope?.freqFactors !== undefined,
      },
      constants: { WG: config.WG ?? 64 },
    });
    return new KvWriteOp(ctx, pipeline, opts, config);
  }

  /** Records the scatter (and q rotation), one dispatch. */
  encode(target: EncodeTarget, args: KvWriteArgs): void {
    const { nKvHeads, headDim, rope } = this.opts;
    const qHeads = this.opts.qHeads ?? 0;
    check(args.rows > 0, 'rows', `rows must be positive (got ${args.rows}).`);
    check(
      (args.q !== undefined) === qHeads > 0,
      'q',
      qHeads > 0 ? 'This op rotates q: pass q.' : 'Prepare the op with qHeads to rotate q.',
    );
    const width = nKvHeads * headDim;
    const r = rope ? ropeUniforms(rope, headDim) : { u32: [headDim, 0], f32: [1, 1, 1] };
    const params = this.uniforms.get(
      [
        args.rows,
        nKvHeads,
        headDim,
        this.opts.maxPagesPerSeq,
        args.kStride ?? width,
        args.kOffset ?? 0,
        args.vStride ?? width,
        args.vOffset ?? 0,
        this.opts.numPages,
        r.u32[0] as number,
        r.u32[1] as number,
        qHeads,
        args.qStride ?? qHeads * headDim,
        args.qOffset ?? 0,
      ],
      r.f32,
    );
    const entries: (GPUBuffer | GPUBufferBinding | undefined)[] = [
      params,
      bindingOf(args.k),
      bindingOf(args.v),
      bindingOf(args.rowInfo),
      bindingOf(args.blockTable),
      bindingOf(args.kPool),
      bindingOf(args.vPool),
    ];
    entries.push(rope?.freqFactors ? bindingOf(rope.freqFactors) : undefined);
    entries.push(args.q ? bindingOf(args.q) : undefined);
    const group = bindGroup(this.ctx.device, this.pipeline, 'attention/kv-write', entries);
    const wg = this.config.WG ?? 64;
    dispatch(
      target,
      'attention/kv-write',
      this.pipeline,
      group,
      ...grid(
        Math.ceil((args.rows * (qHeads + nKvHeads) * (headDim / 2)) / wg),
        this.ctx.limits.maxComputeWorkgroupsPerDimension,
      ),
    );
  }
  /** Frees the op's uniform buffers; the op must not be encoded again. */
  destroy(): void {
    this.uniforms.destroy();
  }
}
