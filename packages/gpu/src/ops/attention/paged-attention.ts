// Causal GQA attention over the paged KV cache, decode rows and prefill chunks
// (kernels-wgsl/attention/paged-attention.wgsl, the tiled kernel; paged-attention-serial.wgsl,
// one invocation per row and head, the SERIAL candidates; paged-attention-combine.wgsl, split-K merge).
import { kernelSources } from '../../kernels/sources.generated.ts';
import type { KernelContext } from '../context.ts';
import {
  type BufferArg,
  bindGroup,
  bindingOf,
  check,
  type EncodeTarget,
  grid,
  withPass,
} from '../shared/dispatch.ts';
import { chooseConfig, type TuningPoint, type TuningSpace, tuningSpace } from '../shared/tuning-space.ts';
import { UniformCache } from '../shared/uniform-cache.ts';

/** The paged attention kernels' declared tuning space. */
export const pagedAttentionTuningSpace: TuningSpace = tuningSpace('attention/paged-attention.tuning.json');

/** Output values one thread of the tiled kernel accumulates at most (its MAX_ACC = 8 vec4s). */
const MAX_ACC = 32;

/**
 * Query (and accumulator) vec4s one invocation of the serial kernel holds for its heads, at
 * most: 64 (4 heads of 64) ran 13% faster than 32 at 512 keys on SwiftShader (32 q / 8 kv heads).
 */
const SERIAL_VEC4S = 64;

/** Fixed shape of a PagedAttentionOp (one per model; encode it once per layer). */
export interface PagedAttentionShape {
  /** Query heads (a multiple of nKvHeads). */
  nHeads: number;
  /** KV heads. */
  nKvHeads: number;
  /** Values per head: a multiple of 16, at most 256. */
  headDim: number;
  /** Block-table columns. */
  maxPagesPerSeq: number;
  /** Multiplier of q·k (default 1/√headDim). */
  scale?: number;
  /** Soft-cap c of the scaled scores: c·tanh(s/c) (Gemma 2; default 0, none). */
  softcap?: number;
  /** Keys a query sees, itself included: position − window + 1 … position (a sliding-window layer; default 0, all). */
  window?: number;
}

/** How a PagedAttentionOp is built. */
export interface PagedAttentionOptions extends PagedAttentionShape {
  /** Explicit knobs (`WG`, `BK`, `SPLIT`, `ROWS`, `STAGE`, `SERIAL`); default: the tuner's choice or the shipped default. */
  config?: TuningPoint;
}

/** A contiguous range of query rows. */
export interface RowRange {
  /** First row. */
  start: number;
  /** Rows. */
  count: number;
}

/**
 * Arguments of `PagedAttentionOp.encode` (layout: see paged-kv-layout.ts). Row r's query is
 * `q[r*qStride + qOffset + h*headDim + d]` for head h < nHeads (qStride default nHeads·headDim,
 * qOffset 0: pass a fused qkv buffer with its row stride), its (slot, position) is
 * `rowInfo[2r], rowInfo[2r+1]`, and it attends to positions 0..position of its slot, whose
 * K/V must already be in the pools (run KvWriteOp for this step's rows first). Its output goes to
 * `out[r*oStride + oOffset + h*headDim + d]` (oStride default nHeads·headDim). The kernels move
 * vec4s: strides and offsets must be multiples of 4 (element offsets; BufferArg slices need the
 * usual 256-byte offset alignment).
 *
 * Rows are processed in two kinds of ranges, which together must cover the rows wanted:
 * - `decode`: each row its own tile — any rows, of any sequences, in any order (decode rows of
 *   many sequences of different lengths in one dispatch; correct, just untiled, for prefill rows);
 *   with split-K over the context when `maxKeys` exceeds the SPLIT knob;
 * - `prefill`: chunks whose rows ALL belong to one slot (any positions, typically consecutive):
 *   tiles of ROWS rows share every K/V block they load.
 */
export interface PagedAttentionArgs {
  /** f32 queries. */
  q: BufferArg;
  /** f32 outputs (must not overlap q). */
  out: BufferArg;
  /** This layer's K pool `[numPages][16][nKvHeads][headDim]` f32. */
  kPool: BufferArg;
  /** This layer's V pool, same layout. */
  vPool: BufferArg;
  /** `u32 [numSlots][maxPagesPerSeq]`. */
  blockTable: BufferArg;
  /** `u32 [rows][2]`: (slot, position) per row. */
  rowInfo: BufferArg;
  /** One-row tiles. */
  decode?: RowRange;
  /** Chunks of rows of a single slot each. */
  prefill?: readonly RowRange[];
  /**
   * position + 1 of the longest decode row: sets the split-K count (default: no split). An
   * underestimate stays correct (the last split takes every remaining key), just less parallel.
   */
  maxKeys?: number;
  qStride?: number;
  qOffset?: number;
  oStride?: number;
  oOffset?: number;
}

/** Effective kernel parameters after fitting the knobs to the shape and device limits. */
export interface AttentionPlan {
  /** Threads per workgroup. */
  wg: number;
  /** Keys per block. */
  bk: number;
  /** Query vectors per tile (rows per tile × group). */
  qt: number;
  /** Rows per tile. */
  rows: number;
  /** K/V blocks staged in workgroup memory. */
  stage: boolean;
  /** One invocation per (row, `qh` heads): paged-attention-serial.wgsl, no tiles (bk, qt, rows unused). */
  serial: boolean;
  /** Serial kernel: q heads per invocation (a divisor of the GQA group; they share each K/V row read). */
  qh: number;
}

/** Paged causal GQA attention with online softmax; decode (split-K) and tiled prefill. */
export class PagedAttentionOp {
  private readonly uniforms: UniformCache;
  private partial: GPUBuffer | undefined;
  private readonly group: number;
  private readonly scale: number;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly shape: PagedAttentionShape,
    private readonly decodePipeline: GPUComputePipeline,
    private readonly prefillPipeline: GPUComputePipeline,
    private readonly combinePipeline: GPUComputePipeline,
    /** Decode tiling (one row per tile). */
    readonly decodePlan: AttentionPlan,
    /** Prefill tiling. */
    readonly prefillPlan: AttentionPlan,
    /** Keys per split-K slice (0: never split). */
    readonly splitTokens: number,
    /** The knobs asked for. */
    readonly config: TuningPoint,
  ) {
    this.uniforms = new UniformCache(ctx.device, 'attention/paged');
    this.group = shape.nHeads / shape.nKvHeads;
    this.scale = shape.scale ?? 1 / Math.sqrt(shape.headDim);
  }

  /** Compiles the decode, prefill and combine kernels for this shape. */
  static async prepare(ctx: KernelContext, opts: PagedAttentionOptions): Promise<PagedAttentionOp> {
    const { nHeads, nKvHeads, headDim } = opts;
    check(
      (opts.softcap ?? 0) >= 0 && Number.isInteger(opts.window ?? 0) && (opts.window ?? 0) >= 0,
      'window',
      `softcap must be ≥ 0 and window a whole number ≥ 0 (got ${opts.softcap}, ${opts.window}).`,
    );
    check(
      nKvHeads > 0 && nHeads % nKvHeads === 0,
      'nHeads',
      `nHeads (${nHeads}) must be a multiple of nKvHeads (${nKvHeads}).`,
    );
    check(
      headDim % 16 === 0 && headDim >= 16 && headDim <= 256,
      'headDim',
      `headDim must be a multiple of 16 in [16, 256] (got ${headDim}).`,
    );
    check(opts.maxPagesPerSeq > 0, 'maxPagesPerSeq', 'maxPagesPerSeq must be positive.');
    const group = nHeads / nKvHeads;
    const config = chooseConfig(ctx, pagedAttentionTuningSpace, `g${group}-d${headDim}`, opts.config);
    const decodePlan = fitPlan(ctx, headDim, group, 1, config);
    const prefillPlan = fitPlan(ctx, headDim, group, config.ROWS ?? 4, config);
    // Both kernels share one Params layout and set of bindings (paged-attention-bindings.wgsl).
    const bindings = kernelSources['attention/paged-attention-bindings.wgsl'] ?? '';
    const source = `${bindings}\n${kernelSources['attention/paged-attention.wgsl'] ?? ''}`;
    const compile = (p: AttentionPlan) =>
      p.serial
        ? ctx.pipelines.get({
            name: 'attention/paged-attention-serial',
            source: `${bindings}\n${kernelSources['attention/paged-attention-serial.wgsl'] ?? ''}`,
            counts: { HEAD_VEC4S: headDim / 4, Q_HEADS: p.qh },
            constants: { HD: headDim, WG: p.wg, QH: p.qh },
          })
        : ctx.pipelines.get({
            name: 'attention/paged-attention',
            source,
            defines: { STAGE_KV: p.stage },
            constants: { HD: headDim, BK: p.bk, QT: p.qt, WG: p.wg },
          });
    const [decode, prefill, combine] = await Promise.all([
      compile(decodePlan),
      compile(prefillPlan),
      ctx.pipelines.get({
        name: 'attention/paged-attention-combine',
        source: kernelSources['attention/paged-attention-combine.wgsl'] ?? '',
        constants: { WG: 64 },
      }),
    ]);
    return new PagedAttentionOp(
      ctx,
      opts,
      decode.pipeline,
      prefill.pipeline,
      combine.pipeline,
      decodePlan,
      prefillPlan,
      config.SPLIT ?? 0,
      config,
    );
  }

  /** Records attention for the given row ranges (1 dispatch per range, +1 to merge decode splits). */
  encode(target: EncodeTarget, args: PagedAttentionArgs): void {
    const { nHeads, nKvHeads, headDim, maxPagesPerSeq } = this.shape;
    const width = nHeads * headDim;
    const qStride = args.qStride ?? width;
    const oStride = args.oStride ?? width;
    const qOffset = args.qOffset ?? 0;
    const oOffset = args.oOffset ?? 0;
    const device = this.ctx.device;
    const ranges = [...(args.decode ? [args.decode] : []), ...(args.prefill ?? [])];
    check(ranges.length > 0, 'decode', 'Pass decode and/or prefill row ranges.');
    for (const r of ranges)
      check(r.count > 0 && r.start >= 0, 'prefill', `Row ranges need count > 0 (got ${r.start}+${r.count}).`);
    for (const [name, v] of Object.entries({ qStride, qOffset, oStride, oOffset }))
      check(v % 4 === 0, name, `${name} must be a multiple of 4 (the kernel moves vec4s); got ${v}.`);
    // Uniforms of one dispatch (strides and offsets in vec4s).
    const tileParams = (range: RowRange, rowsPerTile: number, splits: number) =>
      this.uniforms.get(
        [
          range.start,
          range.count,
          rowsPerTile,
          this.group,
          nKvHeads,
          qStride / 4,
          qOffset / 4,
          oStride / 4,
          oOffset / 4,
          maxPagesPerSeq,
          this.splitTokens,
          splits,
          this.shape.window ?? 0,
        ],
        [this.scale, this.shape.softcap ?? 0],
      );

    const common = (pipeline: GPUComputePipeline, params: GPUBuffer, partial: GPUBuffer) =>
      bindGroup(device, pipeline, 'attention/paged', [
        params,
        bindingOf(args.q),
        bindingOf(args.kPool),
        bindingOf(args.vPool),
        bindingOf(args.blockTable),
        bindingOf(args.rowInfo),
        bindingOf(args.out),
        partial,
      ]);

    withPass(target, 'attention/paged', (pass) => {
      if (args.decode) {
        const { start, count } = args.decode;
        const maxKeys = args.maxKeys ?? 0;
        const splits =
          this.splitTokens > 0 && maxKeys > this.splitTokens ? Math.ceil(maxKeys / this.splitTokens) : 1;
        check(splits <= 65535, 'maxKeys', `maxKeys ${maxKeys} needs ${splits} splits; raise SPLIT.`);
        const partial = this.partialBuffer(
          splits > 1 ? (start + count) * nHeads * splits * (headDim + 4) : 4,
        );
        const params = tileParams(args.decode, 1, splits);
        pass.setPipeline(this.decodePipeline);
        pass.setBindGroup(0, common(this.decodePipeline, params, partial));
        this.dispatchTiles(pass, this.decodePlan, args.decode, splits);
        if (splits > 1) {
          const cparams = this.uniforms.get([
            start,
            count,
            nHeads,
            headDim / 4,
            splits,
            oStride / 4,
            oOffset / 4,
            0,
          ]);
          pass.setPipeline(this.combinePipeline);
          pass.setBindGroup(
            0,
            bindGroup(device, this.combinePipeline, 'attention/paged-combine', [
              cparams,
              partial,
              bindingOf(args.out),
            ]),
          );
          const [x, y] = grid(
            Math.ceil((count * width) / 4 / 64),
            this.ctx.limits.maxComputeWorkgroupsPerDimension,
          );
          pass.dispatchWorkgroups(x, y);
        }
      }
      const rpt = this.prefillPlan.rows;
      for (const chunk of args.prefill ?? []) {
        const params = tileParams(chunk, rpt, 1);
        pass.setPipeline(this.prefillPipeline);
        pass.setBindGroup(0, common(this.prefillPipeline, params, this.partialBuffer(4)));
        this.dispatchTiles(pass, this.prefillPlan, chunk, 1);
      }
    });
  }

  /** Workgroups for a range: (tiles, kv heads, splits), or a grid of invocations for the serial kernel. */
  private dispatchTiles(
    pass: GPUComputePassEncoder,
    plan: AttentionPlan,
    range: RowRange,
    splits: number,
  ): void {
    if (plan.serial) {
      const [x, y] = grid(
        Math.ceil((range.count * this.shape.nHeads) / plan.qh / plan.wg),
        this.ctx.limits.maxComputeWorkgroupsPerDimension,
      );
      pass.dispatchWorkgroups(x, y, splits);
    } else {
      pass.dispatchWorkgroups(Math.ceil(range.count / plan.rows), this.shape.nKvHeads, splits);
    }
  }

  /** The split-K scratch buffer, grown to at least `floats` values. */
  private partialBuffer(floats: number): GPUBuffer {
    const bytes = Math.max(16, floats * 4);
    if (!this.partial || this.partial.size < bytes) {
      // The old buffer is dropped, not destroyed: commands already recorded may still bind it.
      this.partial = this.ctx.device.createBuffer({
        label: 'attention/paged partial',
        size: Math.max(bytes, (this.partial?.size ?? 0) * 2),
        usage: GPUBufferUsage.STORAGE,
      });
    }
    return this.partial;
  }
  /** Frees the op's own buffers (uniforms, split-K scratch); the op must not be encoded again. */
  destroy(): void {
    this.uniforms.destroy();
    this.partial?.destroy();
    this.partial = undefined;
  }
}

/** Fits the knobs to workgroup memory, invocation limits and the per-thread accumulators. */
function fitPlan(
  ctx: KernelContext,
  headDim: number,
  group: number,
  rowsWanted: number,
  config: TuningPoint,
): AttentionPlan {
  const maxInvocations = ctx.limits.maxComputeInvocationsPerWorkgroup ?? 256;
  if ((config.SERIAL ?? 0) !== 0) {
    // The largest divisor of the group whose heads' queries and accumulators stay within
    // SERIAL_VEC4S vec4 variables per invocation (unrolled code grows with it).
    let qh = group;
    while (qh > 1 && (group % qh !== 0 || (qh * headDim) / 4 > SERIAL_VEC4S)) qh--;
    return {
      wg: Math.min(config.WG ?? 32, maxInvocations),
      bk: 1,
      qt: 1,
      rows: 1,
      stage: false,
      serial: true,
      qh,
    };
  }
  const storageFloats = (ctx.limits.maxComputeWorkgroupStorageSize ?? 16384) / 4;
  // Rows per tile: the tile's accumulators (rows·group·headDim) must fit MAX_ACC per thread.
  let rows = Math.max(1, rowsWanted);
  while (rows > 1 && rows * group * headDim > MAX_ACC * maxInvocations) rows--;
  const qt = rows * group;
  check(
    qt * headDim <= MAX_ACC * maxInvocations,
    'nHeads',
    `${group} q heads per kv head × headDim ${headDim} exceed one workgroup's accumulators.`,
  );
  let wg = Math.min(config.WG ?? 64, maxInvocations);
  while (qt * headDim > MAX_ACC * wg) wg *= 2;
  const stage = (config.STAGE ?? 0) !== 0;
  let bk = Math.max(1, config.BK ?? 16);
  while (bk > 1 && (stage ? 2 * bk * headDim : 0) + qt * bk + bk + 3 * qt > storageFloats)
    bk = Math.floor(bk / 2);
  return { wg, bk, qt, rows, stage, serial: false, qh: 1 };
}
