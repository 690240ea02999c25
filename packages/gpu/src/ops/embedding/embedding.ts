// Token embedding lookup from a GGUF table of any in-kernel-dequantized type
// (kernels-wgsl/embedding/embedding.wgsl with the matmul engineer's quant/ snippets).

import { kernelSources } from '../../kernels/sources.generated.ts';
import { ggmlRowBytes, ggmlType } from '../../quant/ggml-types.ts';
import type { WeightMatrix } from '../../tensor.ts';
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

/** The embedding kernel's declared tuning space. */
export const embeddingTuningSpace: TuningSpace = tuningSpace('embedding/embedding.tuning.json');

/**
 * Arguments of `EmbeddingOp.encode`: `out[r*outStride + c] = dequant(table)[ids[r]][c]` for
 * r < rows, c < table.cols (f32 out; outStride default table.cols). `table` is the GGUF
 * `token_embd.weight` as loaded: `rows` = vocab, `cols` = hidden size, in its stored type.
 * Ids ≥ vocab yield zero rows.
 */
export interface EmbeddingArgs {
  /** The embedding table in one binding (its dtype must match the op's). */
  table: WeightMatrix;
  /** `u32 [rows]` token ids. */
  ids: BufferArg;
  /** f32 output rows. */
  out: BufferArg;
  /** Tokens to look up. */
  rows: number;
  /** Elements between output rows (default table.cols). */
  outStride?: number;
}

/** Embedding lookup for one table type, one dispatch. */
export class EmbeddingOp {
  private readonly uniforms: UniformCache;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly pipeline: GPUComputePipeline,
    /** Table type this op reads. */
    readonly dtype: WeightMatrix['dtype'],
    /** The knobs compiled with. */
    readonly config: TuningPoint,
  ) {
    this.uniforms = new UniformCache(ctx.device, 'embedding/lookup');
  }

  /** Compiles the lookup for tables of `dtype` (any type the matmul kernels dequantize). */
  static async prepare(
    ctx: KernelContext,
    opts: { dtype: WeightMatrix['dtype']; config?: TuningPoint },
  ): Promise<EmbeddingOp> {
    const config = chooseConfig(ctx, embeddingTuningSpace, opts.dtype, opts.config);
    const { pipeline } = await ctx.pipelines.get({
      name: `embedding/lookup-${opts.dtype}`,
      source: `${dequantSnippet(opts.dtype)}\n${kernelSources['embedding/embedding.wgsl'] ?? ''}`,
      constants: { WG: config.WG ?? 64 },
    });
    return new EmbeddingOp(ctx, pipeline, opts.dtype, config);
  }

  /** Records the lookup (one dispatch). */
  encode(target: EncodeTarget, args: EmbeddingArgs): void {
    const { table, rows } = args;
    check(
      table.dtype === this.dtype,
      'table.dtype',
      `This op reads ${this.dtype} tables; prepare one for ${table.dtype}.`,
    );
    check(rows > 0, 'rows', `rows must be positive (got ${rows}).`);
    const block = ggmlType(table.dtype).blockSize;
    check(
      table.cols % 8 === 0 && table.cols % block === 0,
      'table.cols',
      `Embedding width ${table.cols} must be a multiple of 8 and of ${table.dtype}'s block (${block}).`,
    );
    const rowBytes = ggmlRowBytes(ggmlType(table.dtype), table.cols);
    const params = this.uniforms.get([
      rows,
      table.cols,
      rowBytes,
      table.rows,
      args.outStride ?? table.cols,
      0,
      0,
      0,
    ]);
    // Storage bindings must be a multiple of 4 bytes; packed GGUF rows (34-byte q8_0 blocks)
    // need not be, so the binding extends to the next word (inside the buffer).
    const tableBinding = {
      buffer: table.buffer,
      offset: table.offset,
      size: Math.min(Math.ceil(table.size / 4) * 4, table.buffer.size - table.offset),
    };
    const group = bindGroup(this.ctx.device, this.pipeline, 'embedding/lookup', [
      params,
      tableBinding,
      bindingOf(args.ids),
      bindingOf(args.out),
    ]);
    const wg = this.config.WG ?? 64;
    dispatch(
      target,
      'embedding/lookup',
      this.pipeline,
      group,
      ...grid(Math.ceil((rows * table.cols) / 8 / wg), this.ctx.limits.maxComputeWorkgroupsPerDimension),
    );
  }
  /** Frees the op's uniform buffers; the op must not be encoded again. */
  destroy(): void {
    this.uniforms.destroy();
  }
}
