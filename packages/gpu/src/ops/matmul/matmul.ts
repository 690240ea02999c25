// The matmul op: y[m, n] = Σ_k x[m, k] · W[n, k] (+ bias[n]) with W in its GGUF layout
// (quantized blocks dequantized inside the kernel), x and y f32 row-major. GEMV
// (kernels-wgsl/matmul/gemv.wgsl) for m ≤ 16, tiled GEMM (gemm.wgsl) above; optional split-K
// through splitk-reduce.wgsl. Compiles in `prepare`, records synchronously in `encode`.
import { RuminateError } from '../../errors.ts';
import { specializationKey } from '../../jit/pipeline-cache.ts';
import { type GgmlTypeName, ggmlRowBytes, ggmlType } from '../../quant/ggml-types.ts';
import type { BufferSlice, WeightMatrix } from '../../tensor.ts';
import type { KernelConfig, KernelContext } from '../context.ts';
import { bindGroup, check, type EncodeTarget, grid, withPass } from '../shared/dispatch.ts';
import { UniformCache } from '../shared/uniform-cache.ts';
import {
  GEMV_MAX_M,
  gemvMTile,
  matmulKernelFor,
  matmulSourceFor,
  roundsActivations,
  selectMatmulKernel,
} from './select-kernel.ts';
import {
  isMatmulDtype,
  MATMUL_DTYPES,
  matmulRowBlock,
  matmulSource,
  splitKReduceSource,
  xQ8PairsSource,
  xQ8PairsWords,
  xQ8Source,
} from './shader-source.ts';
import { matmulConfigProblem } from './tuning-space.ts';

/** The shape and weight type a matmul is compiled for. */
export interface MatmulDesc {
  /** Weight type as stored. */
  dtype: GgmlTypeName;
  /** Output features n (weight rows). */
  rows: number;
  /** Input features k (weight columns); a multiple of 8 and of the type's block size. */
  cols: number;
  /** Activation rows m. */
  m: number;
}

/** Arguments of one recorded matmul. */
export interface MatmulArgs {
  /** `[m, k]` f32 activations (offset a multiple of minStorageBufferOffsetAlignment). */
  x: BufferSlice;
  /** The weights, `rows = n`, `cols = k`, at an offset that is a multiple of 256. */
  w: WeightMatrix;
  /** `[m, n]` f32 output. */
  y: BufferSlice;
  /** Activation rows. */
  m: number;
  /** Optional `[n]` f32 bias added to every row. */
  bias?: BufferSlice;
  /** Force a configuration (must have been prepared); default: the tuned one, else the shipped default. */
  config?: KernelConfig;
  /**
   * x holds the same values as at this op's previous encode into the same target (k and v after
   * q, one input): where activations are rounded, the copy made then is reused, one pass fewer.
   */
  sameX?: boolean;
}

const pow2Ceil = (v: number) => 2 ** Math.ceil(Math.log2(Math.max(1, v)));

const configKey = (c: KernelConfig) =>
  specializationKey({ name: '', source: '', constants: c.constants, defines: c.defines });

const REDUCE_WG = 256;

/**
 * The pass a variant runs over x first where activations are rounded to 8 bits: `round`
 * (matmul/x-q8.wgsl) writes x rounded, as f32, for the float kernels; `pairs`
 * (matmul/x-q8-pairs.wgsl) writes the packed pair records gemv-swar-q4_0.wgsl reads.
 */
interface XPass {
  kind: 'round' | 'pairs';
  pipeline: GPUComputePipeline;
}

/** A compiled matmul variant. */
interface Variant {
  pipeline: GPUComputePipeline;
  reduce: GPUComputePipeline | undefined;
  xPass: XPass | undefined;
}

const X_Q8_WG = 64;

/**
 * Records matmuls into a caller's encoder. One op serves every shape and weight type;
 * `MatmulOp.prepare(ctx, shapes)` (and later `prepareShape`) compiles what `encode` will need (it never compiles, so it can record a whole
 * decoder step synchronously). When the tuner's lookup names a configuration not yet compiled,
 * `encode` keeps using one prepared for that kernel and type and compiles the new one in the
 * background, so the default serves while tuning runs.
 */
export class MatmulOp {
  private readonly variants = new Map<string, Variant>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly preparedFor = new Map<string, KernelConfig>();
  /** Background compiles that failed (not retried on every encode). */
  private readonly failed = new Set<string>();
  private readonly uniforms: UniformCache;
  /** Split-K partial planes and rounded activations, grown on demand. */
  private readonly scratch: { split?: GPUBuffer; x?: GPUBuffer } = {};
  private readonly retired: GPUBuffer[] = [];
  /** What the rounded-activation scratch holds: the x, target and pass of the last x pass recorded. */
  private lastX:
    | { target: EncodeTarget; x: BufferSlice; m: number; k: number; kind: XPass['kind']; into: GPUBuffer }
    | undefined;

  private constructor(private readonly ctx: KernelContext) {
    this.uniforms = new UniformCache(ctx.device, 'matmul');
  }

  /** Builds the op on `ctx` and compiles the kernels of `shapes` (more can be added with `prepareShape`). */
  static async prepare(ctx: KernelContext, shapes: readonly MatmulDesc[] = []): Promise<MatmulOp> {
    const op = new MatmulOp(ctx);
    await Promise.all(shapes.map((s) => op.prepareShape(s)));
    return op;
  }

  /** The configuration `encode` would choose for a shape: explicit, tuned, or the shipped default (`selectMatmulKernel`). */
  resolveConfig(m: number, k: number, n: number, dtype: GgmlTypeName, config?: KernelConfig): KernelConfig {
    return selectMatmulKernel(this.ctx, { m, k, n, dtype }, config).config;
  }

  /** Compiles the kernel(s) `encode` needs for this shape (and `config`, else tuned/default). */
  async prepareShape(desc: MatmulDesc, config?: KernelConfig): Promise<void> {
    checkDesc(desc);
    const chosen = this.resolveConfig(desc.m, desc.cols, desc.rows, desc.dtype, config);
    await this.compile(desc.dtype, desc.m, desc.cols, chosen);
    this.preparedFor.set(this.shapeClass(desc.dtype, desc.m, desc.cols), chosen);
  }

  /**
   * Compiles everything `encode` may need for any m in 1..maxM on this weight shape: the GEMV
   * tiles 1, 2, 4, 8, 16 up to maxM and, when maxM > 16, the GEMM (tuned or default configs).
   */
  async prepareUpTo(desc: Omit<MatmulDesc, 'm'>, maxM: number): Promise<void> {
    const ms: number[] = [];
    for (let t = 1; t <= Math.min(maxM, GEMV_MAX_M); t *= 2) ms.push(t);
    if (maxM > 1 && !ms.includes(gemvMTile(Math.min(maxM, GEMV_MAX_M)))) ms.push(Math.min(maxM, GEMV_MAX_M));
    // One m per GEMM shape bucket (32, 64, …, 512): each may have its own tuned winner.
    for (let m = 2 * GEMV_MAX_M; m < 2 * Math.min(maxM, 512); m *= 2) ms.push(Math.min(m, maxM));
    await Promise.all(ms.map((m) => this.prepareShape({ ...desc, m })));
  }

  /** Records y = x·Wᵀ (+ bias): one dispatch, two with split-K. */
  encode(target: EncodeTarget, args: MatmulArgs): void {
    const { x, w, y, m, bias } = args;
    const n = w.rows;
    const k = w.cols;
    checkDesc({ dtype: w.dtype, rows: n, cols: k, m });
    const rowBytes = ggmlRowBytes(ggmlType(w.dtype), k);
    check(w.offset % 256 === 0, 'w.offset', `Weight offset ${w.offset} must be a multiple of 256.`);
    check(
      w.size >= rowBytes * n,
      'w.size',
      `Weights need ${rowBytes * n} bytes (${n} rows of ${k} ${w.dtype}), slice has ${w.size}.`,
    );
    const wBind = Math.ceil((rowBytes * n) / 4) * 4;
    check(
      w.offset + wBind <= w.buffer.size,
      'w.size',
      `Weight binding needs ${wBind} bytes from offset ${w.offset} (rounded up to 4); pad the weight buffer by up to 3 bytes.`,
    );
    check(x.size >= m * k * 4, 'x.size', `x needs ${m * k * 4} bytes (${m}×${k} f32), slice has ${x.size}.`);
    check(y.size >= m * n * 4, 'y.size', `y needs ${m * n * 4} bytes (${m}×${n} f32), slice has ${y.size}.`);
    if (bias) check(bias.size >= n * 4, 'bias.size', `bias needs ${n * 4} bytes, slice has ${bias.size}.`);

    const kernel = matmulKernelFor(m);
    let config = this.resolveConfig(m, k, n, w.dtype, args.config);
    let variant = this.variants.get(this.variantKey(w.dtype, m, k, config));
    if (!variant && !args.config) {
      // A tuned winner arrived after prepare: compile it for next time, serve the prepared one now.
      const key = this.variantKey(w.dtype, m, k, config);
      if (!this.failed.has(key)) void this.compile(w.dtype, m, k, config).catch(() => this.failed.add(key));
      const fallback = this.preparedFor.get(this.shapeClass(w.dtype, m, k));
      if (fallback) {
        config = fallback;
        variant = this.variants.get(this.variantKey(w.dtype, m, k, config));
      }
    }
    if (!variant) {
      throw new RuminateError(
        'invalid-argument',
        `Matmul ${kernel} for ${m}×${k}×${n} ${w.dtype} with this configuration was not compiled: await matmul.prepareShape(...) first.`,
        { field: 'config' },
      );
    }
    const split = config.constants.SPLIT_K ?? 1;
    const maxDim = this.ctx.limits.maxComputeWorkgroupsPerDimension ?? 65535;
    const c = config.constants;
    const gemvSource = matmulSourceFor(this.ctx, kernel, config, m, w.dtype) !== 'gemm';
    // GEMV source: ⌈n / rows per workgroup⌉ workgroups for each block of M_TILE activation rows.
    const groupsN = gemvSource
      ? Math.ceil(n / (((c.WG ?? 64) / (c.TPR ?? 1)) * (c.RPT ?? 1)))
      : Math.ceil(n / (c.TN ?? 32));
    const count = gemvSource
      ? groupsN * Math.ceil(m / matmulRowBlock(kernel, config, gemvMTile(m)))
      : groupsN * Math.ceil(m / (c.TM ?? 32));
    const [gx, gy] = grid(count, maxDim);
    const out = split > 1 ? this.scratchFor('split', split * m * n * 4) : y;
    // Where activations are rounded, the kernel reads x's rounded copy or pair records.
    const xWords = variant.xPass?.kind === 'pairs' ? xQ8PairsWords(m, k) : m * k;
    const xIn = variant.xPass ? { buffer: this.scratchFor('x', xWords * 4), offset: 0 } : x;
    const useBias = bias !== undefined && split === 1;
    const params = this.uniforms.get([m, k, n, useBias ? 1 : 0, rowBytes, gx, groupsN, 0]);
    const entries: GPUBufferBinding[] = [
      { buffer: params },
      { buffer: w.buffer, offset: w.offset, size: wBind },
      { buffer: xIn.buffer, offset: xIn.offset, size: xWords * 4 },
      'buffer' in out ? { buffer: out.buffer, offset: out.offset, size: m * n * 4 * split } : { buffer: out },
      bias
        ? { buffer: bias.buffer, offset: bias.offset, size: n * 4 }
        : { buffer: x.buffer, offset: x.offset, size: 4 },
    ];
    const label = `matmul/${kernel}:${w.dtype}`;
    const group = bindGroup(this.ctx.device, variant.pipeline, label, entries);
    let reduceGroup: GPUBindGroup | undefined;
    let reduceGrid: [number, number] = [1, 1];
    if (split > 1 && variant.reduce) {
      reduceGrid = grid(Math.ceil((m * n) / REDUCE_WG), maxDim);
      const rp = this.uniforms.get([m * n, n, split, bias ? 1 : 0, reduceGrid[0], 0, 0, 0]);
      reduceGroup = bindGroup(this.ctx.device, variant.reduce, 'matmul/splitk-reduce', [
        { buffer: rp },
        { buffer: out as GPUBuffer, offset: 0, size: split * m * n * 4 },
        { buffer: y.buffer, offset: y.offset, size: m * n * 4 },
        // Without a bias, bind the partials (read-only here) in its place: never y, which is written.
        bias
          ? { buffer: bias.buffer, offset: bias.offset, size: n * 4 }
          : { buffer: out as GPUBuffer, offset: 0, size: 4 },
      ]);
    }
    let xGroup: GPUBindGroup | undefined;
    let xGrid: [number, number] = [1, 1];
    const xPass = variant.xPass;
    const last = this.lastX;
    const reuse =
      args.sameX === true &&
      last !== undefined &&
      last.target === target &&
      last.x.buffer === x.buffer &&
      last.x.offset === x.offset &&
      last.m === m &&
      last.k === k &&
      last.kind === xPass?.kind &&
      last.into === xIn.buffer;
    if (xPass && !reuse) {
      const blocks = k / 32;
      // One invocation per block (round) or per pair of blocks of a row (pairs).
      const items = xPass.kind === 'pairs' ? m * Math.ceil(blocks / 2) : m * blocks;
      xGrid = grid(Math.ceil(items / X_Q8_WG), maxDim);
      const uniform = xPass.kind === 'pairs' ? [blocks, m, xGrid[0], 0] : [m * blocks, xGrid[0], 0, 0];
      xGroup = bindGroup(this.ctx.device, xPass.pipeline, `matmul/x-q8-${xPass.kind}`, [
        this.uniforms.get(uniform),
        { buffer: x.buffer, offset: x.offset, size: m * k * 4 },
        { buffer: xIn.buffer, offset: 0, size: xWords * 4 },
      ]);
      this.lastX = { target, x, m, k, kind: xPass.kind, into: xIn.buffer };
    }
    withPass(target, label, (pass) => {
      if (xGroup && xPass) {
        pass.setPipeline(xPass.pipeline);
        pass.setBindGroup(0, xGroup);
        pass.dispatchWorkgroups(xGrid[0], xGrid[1]);
      }
      pass.setPipeline(variant.pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(gx, gy, split);
      if (reduceGroup && variant.reduce) {
        pass.setPipeline(variant.reduce);
        pass.setBindGroup(0, reduceGroup);
        pass.dispatchWorkgroups(reduceGrid[0], reduceGrid[1]);
      }
    });
  }

  /** Frees the op's scratch buffers (after the last submit that used it). */
  destroy(): void {
    for (const b of [this.scratch.split, this.scratch.x, ...this.retired]) b?.destroy();
    this.scratch.split = undefined;
    this.scratch.x = undefined;
    this.retired.length = 0;
    this.lastX = undefined;
  }

  /** gemv-swar-q4_0.wgsl is compiled per parity of k's block count (ODD_BLOCKS); other sources serve every k. */
  private oddBlocks(dtype: GgmlTypeName, m: number, k: number): boolean {
    return roundsActivations(this.ctx, dtype) && m === 1 && (k / 32) % 2 === 1;
  }

  /**
   * The class of shapes one prepared variant serves: same kernel, weight type, GEMV tile (and,
   * where activations are rounded, k's block parity at m = 1). A caller that prepares one shape
   * per class (`prepareShape`) can record every shape of it.
   */
  shapeClass(dtype: GgmlTypeName, m: number, k: number): string {
    const odd = this.oddBlocks(dtype, m, k) ? '|odd' : '';
    return `${matmulKernelFor(m)}|${dtype}|${m <= GEMV_MAX_M ? gemvMTile(m) : 0}${odd}`;
  }

  private variantKey(dtype: GgmlTypeName, m: number, k: number, config: KernelConfig): string {
    return `${this.shapeClass(dtype, m, k)}|${configKey(config)}`;
  }

  /** Compiles (once) the pipelines of a variant. */
  private compile(dtype: GgmlTypeName, m: number, k: number, config: KernelConfig): Promise<void> {
    const key = this.variantKey(dtype, m, k, config);
    if (this.variants.has(key)) return Promise.resolve();
    const running = this.pending.get(key);
    if (running) return running;
    const task = this.build(dtype, m, this.oddBlocks(dtype, m, k), config).then(
      (v) => {
        this.variants.set(key, v);
        this.pending.delete(key);
      },
      (e: unknown) => {
        this.pending.delete(key);
        throw e;
      },
    );
    this.pending.set(key, task);
    return task;
  }

  private async build(
    dtype: GgmlTypeName,
    m: number,
    oddBlocks: boolean,
    config: KernelConfig,
  ): Promise<Variant> {
    const kernel = matmulKernelFor(m);
    const mTile = gemvMTile(m);
    const problem = matmulConfigProblem(this.ctx, kernel, config, mTile);
    if (problem) {
      throw new RuminateError(
        'invalid-argument',
        `Matmul ${kernel} configuration cannot run here: ${problem}.`,
        {
          field: 'config',
        },
      );
    }
    const constants: Record<string, number> = { ...config.constants };
    const roundsX = roundsActivations(this.ctx, dtype);
    const sourceName = matmulSourceFor(this.ctx, kernel, config, m, dtype);
    let defines = config.defines ?? {};
    if (sourceName === 'gemv-rows' || sourceName === 'gemv-swar-q4_0' || sourceName === 'gemm-rows') {
      // The rows kernels' only override is WG; their groups of 4 rows beyond the first are
      // defines: G2 (and G4) for RPT 8 (16) weight rows in the GEMVs, for M_TILE 8 (16)
      // activation rows in gemm-rows, whose W2 doubles its 4 weight rows (RPT 8).
      const rpt = constants.RPT ?? 4;
      const groups = sourceName === 'gemm-rows' ? matmulRowBlock(kernel, config, mTile) : rpt;
      defines = { ...defines, G2: groups >= 8, G4: groups >= 16, W2: sourceName === 'gemm-rows' && rpt >= 8 };
      if (sourceName === 'gemv-swar-q4_0') {
        defines.ODD_BLOCKS = oddBlocks;
        defines.X_PAIRS = true;
      }
      for (const name of Object.keys(constants)) if (name !== 'WG') delete constants[name];
    } else if (sourceName === 'gemv') {
      const wg = constants.WG ?? 64;
      const tile = kernel === 'gemv' ? mTile : (constants.M_TILE ?? 16);
      const storage = this.ctx.limits.maxComputeWorkgroupStorageSize ?? 16384;
      constants.M_TILE = tile;
      // Accumulators per workgroup-memory pass: a power of two dividing M_TILE·RPT that fits.
      const fit = 2 ** Math.floor(Math.log2(Math.max(1, Math.floor(storage / 4 / wg))));
      constants.RED_CH = (constants.TPR ?? 1) === 1 ? 1 : Math.min(tile * (constants.RPT ?? 1), fit);
    }
    const xPassKind = !roundsX ? undefined : sourceName === 'gemv-swar-q4_0' ? 'pairs' : 'round';
    const [main, reduce, xPass] = await Promise.all([
      this.ctx.pipelines.get({
        name: `matmul/${sourceName}:${dtype}`,
        source: matmulSource(sourceName, dtype, defines, constants),
        defines,
        constants,
      }),
      (constants.SPLIT_K ?? 1) > 1
        ? this.ctx.pipelines.get({
            name: 'matmul/splitk-reduce',
            source: splitKReduceSource(),
            constants: { WG: REDUCE_WG },
          })
        : undefined,
      xPassKind
        ? this.ctx.pipelines.get({
            name: `matmul/x-q8-${xPassKind}`,
            source: xPassKind === 'pairs' ? xQ8PairsSource() : xQ8Source(),
            constants: { WG: X_Q8_WG },
          })
        : undefined,
    ]);
    return {
      pipeline: main.pipeline,
      reduce: reduce?.pipeline,
      xPass: xPassKind && xPass ? { kind: xPassKind, pipeline: xPass.pipeline } : undefined,
    };
  }

  /** A scratch buffer of at least `bytes`: split-K partial planes, or rounded activations. */
  private scratchFor(slot: 'split' | 'x', bytes: number): GPUBuffer {
    const current = this.scratch[slot];
    if (current && current.size >= bytes) return current;
    // The old one may still be referenced by recorded, unsubmitted work: destroy it with the op.
    if (current) this.retired.push(current);
    const made = this.ctx.device.createBuffer({
      label: slot === 'split' ? 'matmul/split-k partials' : 'matmul/rounded activations',
      size: Math.max(256, pow2Ceil(bytes)),
      usage: GPUBufferUsage.STORAGE,
    });
    this.scratch[slot] = made;
    return made;
  }
}

function checkDesc(d: MatmulDesc): void {
  check(isMatmulDtype(d.dtype), 'dtype', `Matmul reads ${MATMUL_DTYPES.join(', ')} weights, not ${d.dtype}.`);
  const block = ggmlType(d.dtype).blockSize;
  check(
    Number.isInteger(d.cols) && d.cols > 0 && d.cols % 8 === 0 && d.cols % block === 0,
    'cols',
    `Matmul needs k (weight columns) a positive multiple of 8 and of ${d.dtype}'s block size ${block}; got ${d.cols}.`,
  );
  check(
    Number.isInteger(d.rows) && d.rows > 0,
    'rows',
    `Weight rows must be a positive integer, got ${d.rows}.`,
  );
  check(Number.isInteger(d.m) && d.m > 0, 'm', `m (activation rows) must be a positive integer, got ${d.m}.`);
}
