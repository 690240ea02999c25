// The decoder on the GPU: llama / qwen2 / qwen3 (and MoE variants), phi3, gemma2 and gemma3 as a
// graph over the gpu package's ops, one command buffer and one submit per forward pass: page
// copies, embedding, every layer, the final norm, the output matmul for the sampled rows only,
// the sampler, and a 192-byte-per-row readback. Graph semantics: see reference/forward.ts (the
// float64 oracle). Fused projections arrive split (fused-tensors.ts); Gemma's sliding-window
// layers use their own KV write (RoPE base) and attention (window), its post-norms run in place
// on the block's output before the residual add, its final logits are soft-capped.
import { RuminateError } from '@ruminate/errors';
import {
  type BufferSlice,
  decodeSamplerOutput,
  type KernelContext,
  kvPoolBytes,
  type MatmulShape,
  packSamplerParams,
  type RopeParams,
  SAMPLER_MAX_CANDIDATES,
  SamplerOp,
  samplerCandidatesFor,
} from '@ruminate/gpu';
import { toSampledToken } from '../sampling/sampled-token.ts';
import { samplerRowParams } from '../sampling/sampler-row-params.ts';
import type { BackendMemory, ForwardPass, KvGeometry, ModelBackend, SampledToken } from './backend.ts';
import type { CpuEmbedding } from './cpu-embedding.ts';
import { type CompiledKernels, compileGpuKernels, type Ops } from './gpu-kernels.ts';
import { attentionRanges, weightNames, whole } from './gpu-pass-plan.ts';
import { GpuTokenMasks, type PassMasks } from './gpu-token-masks.ts';
import type { GpuTensor, GpuWeights } from './gpu-weights.ts';
import type { Hparams } from './hparams.ts';
import { encodeLinear, type LinearScratch } from './linear.ts';
import { MoeBlock } from './moe-block.ts';

/** Activation rows per pass and sampled rows per pass the model is sized for. */
export interface GpuModelSizes extends KvGeometry {
  /** Rows (tokens) in one forward pass. */
  maxRows: number;
}

/** Usage of activation buffers (a function: GPUBufferUsage exists only once WebGPU is set up). */
const storage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

/** A loaded model on the GPU, running forward passes over paged KV. */
export class GpuModel implements ModelBackend {
  private readonly buffers: GPUBuffer[] = [];
  private readonly act: Record<
    'x' | 'h' | 'delta' | 'q' | 'k' | 'v' | 'attn' | 'gate' | 'up' | 'ffn' | 'gathered' | 'logits',
    GPUBuffer
  >;
  private readonly rowInfo: GPUBuffer;
  private readonly blockTable: GPUBuffer;
  private readonly samplerOut: GPUBuffer;
  /** Grammar masks of constrained rows (created on the first constrained pass). */
  private readonly masks: GpuTokenMasks;
  private readonly staging: GPUBuffer;
  private readonly pageTmp: GPUBuffer;
  private samplerParams: GPUBuffer;
  private readonly scratch: LinearScratch | undefined;
  private readonly kPools: GPUBuffer[] = [];
  private readonly vPools: GPUBuffer[] = [];
  private readonly pageBytes: number;
  private lost: GPUDeviceLostInfo | undefined;
  private destroyed = false;
  private readonly preparedMatmuls = new Set<string>();

  private constructor(
    private readonly ctx: KernelContext,
    private readonly hp: Hparams,
    private readonly weights: GpuWeights,
    private readonly sizes: GpuModelSizes,
    private readonly ops: Ops,
    private readonly embedding: CpuEmbedding,
    private readonly moe: MoeBlock | undefined,
    private readonly rope: RopeParams,
    /** The sliding-window layers' rotation (= rope without such layers). */
    private readonly ropeSwa: RopeParams,
  ) {
    const { device } = ctx;
    const T = sizes.maxRows;
    const S = sizes.numSlots;
    const f32 = (label: string, n: number) => this.buffer(label, Math.max(16, n * 4), storage());
    const e = hp.nEmbd;
    const qw = hp.nHeads * hp.headDim;
    const kw = hp.nKvHeads * hp.headDim;
    const ff = Math.max(hp.nFf, hp.nFfShared, 1);
    this.act = {
      x: f32('x', T * e),
      h: f32('h', T * e),
      delta: f32('delta', T * e),
      q: f32('q', T * qw),
      k: f32('k', T * kw),
      v: f32('v', T * kw),
      attn: f32('attn', T * qw),
      gate: f32('gate', T * ff),
      up: f32('up', T * ff),
      ffn: f32('ffn', T * ff),
      gathered: f32('gathered', S * e),
      logits: f32('logits', S * hp.nVocab),
    };
    this.rowInfo = this.buffer('rowInfo', T * 8, storage());
    this.blockTable = this.buffer('blockTable', sizes.numSlots * sizes.maxPagesPerSeq * 4, storage());
    this.samplerOut = this.buffer('samplerOut', SamplerOp.outputBytes(S), storage());
    this.masks = new GpuTokenMasks(ctx, hp.nVocab);
    this.staging = this.buffer(
      'staging',
      SamplerOp.outputBytes(S),
      GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    );
    this.samplerParams = this.buffer('samplerParams', S * 64 + 4096, storage());
    this.pageBytes = kvPoolBytes(1, hp.nKvHeads, hp.headDim);
    this.pageTmp = this.buffer('pageTmp', this.pageBytes, storage());
    const splitRows = Math.max(
      0,
      ...[...weightNames(hp)].map((n) => {
        const t = weights.get(n);
        return t && t.parts.length > 1 ? Math.max(...t.parts.map((p) => p.rows)) : 0;
      }),
    );
    this.scratch = splitRows > 0 ? { buffer: f32('splitScratch', Math.max(T, S) * splitRows) } : undefined;
    for (let l = 0; l < hp.nLayers; l++) {
      const bytes = kvPoolBytes(sizes.numPages, hp.nKvHeads, hp.headDim);
      this.kPools.push(this.buffer(`k${l}`, bytes, storage()));
      this.vPools.push(this.buffer(`v${l}`, bytes, storage()));
    }
    device.lost.then((info) => {
      this.lost = info;
    });
  }

  /** Compiles the kernels of a model before its weights exist (`compileGpuKernels`). */
  static compileKernels(
    ctx: KernelContext,
    hp: Hparams,
    sizes: GpuModelSizes,
    problems: readonly MatmulShape[],
  ): Promise<CompiledKernels> {
    return compileGpuKernels(ctx, hp, sizes, problems);
  }

  /**
   * The model over uploaded weights: allocates activations and KV pools, with kernels from
   * `compileKernels` (compiled here when not given).
   */
  static async create(
    ctx: KernelContext,
    hp: Hparams,
    weights: GpuWeights,
    embedding: CpuEmbedding,
    sizes: GpuModelSizes,
    kernels?: CompiledKernels,
  ): Promise<GpuModel> {
    const kvBytes = kvPoolBytes(sizes.numPages, hp.nKvHeads, hp.headDim);
    const maxBinding = ctx.limits.maxStorageBufferBindingSize ?? 128 * 1024 * 1024;
    if (kvBytes > maxBinding || kvBytes > (ctx.limits.maxBufferSize ?? kvBytes)) {
      const fit = Math.floor(maxBinding / kvPoolBytes(1, hp.nKvHeads, hp.headDim));
      throw new RuminateError(
        'limit-too-low',
        `A layer's KV pool of ${sizes.numPages} pages (${kvBytes} bytes) exceeds this device's storage binding ` +
          `limit (${maxBinding}); load with kvPages ≤ ${fit} or a shorter context.`,
      );
    }
    const compiled = kernels ?? (await GpuModel.compileKernels(ctx, hp, sizes, []));
    const moe = hp.nExperts > 0 ? await MoeBlock.create(ctx, hp, weights, sizes.maxRows) : undefined;
    const model = new GpuModel(
      ctx,
      hp,
      weights,
      sizes,
      compiled.ops,
      embedding,
      moe,
      compiled.rope,
      compiled.ropeSwa,
    );
    const factors = compiled.rope.freqFactors as GPUBuffer | undefined;
    if (factors && compiled.factorsTensor) {
      model.buffers.push(factors);
      const src = model.f32(compiled.factorsTensor);
      const enc = ctx.device.createCommandEncoder({ label: 'rope_freqs' });
      enc.copyBufferToBuffer(src.buffer, src.offset, factors, 0, (hp.ropeDims / 2) * 4);
      ctx.device.queue.submit([enc.finish()]);
    }
    // Warm the sampler's sorts now, off the load's path; a step that needs them awaits them.
    void compiled.ops.sampler.ready(SAMPLER_MAX_CANDIDATES).catch(() => undefined);
    for (const key of compiled.preparedMatmuls) model.preparedMatmuls.add(key);
    return model;
  }

  /** GPU memory held. */
  memory(): BackendMemory {
    const kvBytes = [...this.kPools, ...this.vPools].reduce((s, b) => s + b.size, 0);
    const all = this.buffers.reduce((s, b) => s + b.size, 0);
    return {
      weightBytes: this.weights.bytes + this.embedding.byteLength,
      kvBytes,
      scratchBytes: all - kvBytes + (this.moe?.scratchBytes ?? 0),
      bytesPerPage: 2 * this.hp.nLayers * this.pageBytes,
    };
  }

  /** Row parts a weight tensor was placed in (1 unless it exceeds a storage binding). */
  tensorParts(name: string): number {
    return this.weights.get(name)?.parts.length ?? 0;
  }

  /** Destroys every buffer, weights included. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const b of this.buffers) b.destroy();
    this.moe?.destroy();
    void this.masks.destroy();
    this.weights.destroy();
    // Ops own uniforms and scratch (split-K partials); those that can release them do.
    for (const op of Object.values(this.ops) as { destroy?: () => void }[]) op?.destroy?.();
  }

  /**
   * One forward pass: the pass's uploads, its copy-on-write page copies, every layer, the final
   * norm, then (when rows are sampled) the head over the sampled rows and the sampler, read back.
   */
  async forward(pass: ForwardPass): Promise<SampledToken[]> {
    this.checkUsable();
    const T = pass.rows.length;
    const S = pass.sample.length;
    if (T < 1 || T > this.sizes.maxRows || S > this.sizes.numSlots) {
      throw new RuminateError('internal', `A pass of ${T} rows / ${S} samples exceeds the model's sizing.`);
    }
    await this.prepareMatmuls(T, S);
    // The smallest candidate list the rows need: greedy batches skip the sorts entirely.
    const rowParams = pass.sample.map(samplerRowParams);
    const candidates = samplerCandidatesFor(
      rowParams,
      pass.sample.some((s) => (s.want?.topLogprobs ?? 0) > 0),
    );
    await this.ops.sampler.ready(candidates);
    this.uploadPass(pass);
    const enc = this.ctx.device.createCommandEncoder({ label: 'forward' });
    this.encodePageCopies(enc, pass.copies);
    const attention = attentionRanges(pass);
    for (let l = 0; l < this.hp.nLayers; l++) this.encodeLayer(enc, l, T, attention);
    // Final norm over every row (cheap), then only the sampled rows go through the output matrix.
    this.encodeNorm(enc, 'output_norm.weight', T, true);
    if (S === 0) {
      // A prefill chunk with nothing to sample: submit and go on without waiting; the queue runs
      // passes in order and the next pass's uploads are queued after this one.
      this.ctx.device.queue.submit([enc.finish()]);
      return [];
    }
    this.encodeHead(enc, pass);
    return this.sampleAndRead(enc, pass, rowParams, candidates);
  }

  /** The pass's inputs: row (slot, position) pairs, the rows' embeddings, the changed block-table rows. */
  private uploadPass(pass: ForwardPass): void {
    const { device } = this.ctx;
    const T = pass.rows.length;
    const info = new Uint32Array(T * 2);
    pass.rows.forEach((r, i) => {
      info[2 * i] = r.slot;
      info[2 * i + 1] = r.position;
    });
    device.queue.writeBuffer(this.rowInfo, 0, info);
    const x = new Float32Array(T * this.hp.nEmbd);
    this.embedding.gather(
      pass.rows.map((r) => r.token),
      x,
    );
    const scale = this.hp.embedScale;
    if (scale !== 1) for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * scale;
    device.queue.writeBuffer(this.act.x, 0, x);
    const w = this.sizes.maxPagesPerSeq;
    for (const slot of pass.dirtySlots) {
      device.queue.writeBuffer(
        this.blockTable,
        slot * w * 4,
        pass.blockTable as Uint32Array<ArrayBuffer>,
        slot * w,
        w,
      );
    }
  }

  /** Copy-on-write: each copied page of every layer's K and V pools, before any K/V is written. */
  private encodePageCopies(enc: GPUCommandEncoder, copies: ForwardPass['copies']): void {
    for (const { src, dst } of copies) {
      for (const pool of [...this.kPools, ...this.vPools]) {
        // WebGPU forbids a copy within one buffer: go through a one-page temporary.
        enc.copyBufferToBuffer(pool, src * this.pageBytes, this.pageTmp, 0, this.pageBytes);
        enc.copyBufferToBuffer(this.pageTmp, 0, pool, dst * this.pageBytes, this.pageBytes);
      }
    }
  }

  /** h = RMSNorm(x) · w over T rows; with `residual`, x += delta first (the previous block's output). */
  private encodeNorm(enc: GPUCommandEncoder, weight: string, T: number, residual: boolean): void {
    const args = { w: this.f32(weight), out: this.act.h, rows: T, dim: this.hp.nEmbd, eps: this.hp.rmsEps };
    if (residual) this.ops.normResidual.encode(enc, { x: this.act.x, delta: this.act.delta, ...args });
    else this.ops.norm.encode(enc, { x: this.act.x, ...args });
  }

  /** One decoder layer over T rows: attention (q/k/v, norms, RoPE, KV write, paged attention, output) then the FFN or MoE block. */
  private encodeLayer(
    enc: GPUCommandEncoder,
    l: number,
    T: number,
    { attnRanges, maxKeys }: ReturnType<typeof attentionRanges>,
  ): void {
    const hp = this.hp;
    const e = hp.nEmbd;
    const hd = hp.headDim;
    const qw = hp.nHeads * hd;
    const kw = hp.nKvHeads * hd;
    const p = `blk.${l}.`;
    this.encodeNorm(enc, `${p}attn_norm.weight`, T, l > 0);
    const h = whole(this.act.h, T * e);
    this.linear(enc, h, `${p}attn_q`, this.act.q, T, qw);
    this.linear(enc, h, `${p}attn_k`, this.act.k, T, kw, true);
    this.linear(enc, h, `${p}attn_v`, this.act.v, T, kw, true);
    if (this.ops.normInPlace && (hp.arch === 'qwen3' || hp.arch === 'gemma3')) {
      const qn = this.f32(`${p}attn_q_norm.weight`);
      const kn = this.f32(`${p}attn_k_norm.weight`);
      this.ops.normInPlace.encode(enc, {
        x: this.act.q,
        w: qn,
        rows: T,
        dim: hd,
        groupsPerRow: hp.nHeads,
        eps: hp.rmsEps,
      });
      this.ops.normInPlace.encode(enc, {
        x: this.act.k,
        w: kn,
        rows: T,
        dim: hd,
        groupsPerRow: hp.nKvHeads,
        eps: hp.rmsEps,
      });
    }
    const swa = hp.swaLayers[l] === true;
    this.ops.rope.encode(enc, {
      x: this.act.q,
      positions: this.rowInfo,
      rows: T,
      nHeads: hp.nHeads,
      headDim: hd,
      posStride: 2,
      posOffset: 1,
      rope: swa ? this.ropeSwa : this.rope,
    });
    const kPool = this.kPools[l] as GPUBuffer;
    const vPool = this.vPools[l] as GPUBuffer;
    const kvWrite = swa ? this.ops.kvWriteSwa : this.ops.kvWrite;
    const attention = swa ? this.ops.attentionSwa : this.ops.attention;
    if (!kvWrite || !attention)
      throw new RuminateError('internal', 'Sliding-window kernels were not compiled.');
    kvWrite.encode(enc, {
      k: this.act.k,
      v: this.act.v,
      rowInfo: this.rowInfo,
      blockTable: this.blockTable,
      kPool,
      vPool,
      rows: T,
    });
    attention.encode(enc, {
      q: this.act.q,
      out: this.act.attn,
      kPool,
      vPool,
      blockTable: this.blockTable,
      rowInfo: this.rowInfo,
      ...attnRanges,
      maxKeys,
    });
    this.linear(enc, whole(this.act.attn, T * qw), `${p}attn_output`, this.act.delta, T, e);
    this.encodePostNorm(enc, `${p}post_attention_norm.weight`, T);
    this.encodeNorm(enc, `${p}ffn_norm.weight`, T, true);
    if (this.moe) {
      this.moe.encode(enc, l, {
        h: whole(this.act.h, T * e),
        out: this.act.delta,
        rows: T,
        matmul: this.ops.matmul,
        siluMul: this.ops.siluMul,
      });
    } else this.encodeFfn(enc, p, T);
  }

  /** The head: the sampled rows' final hidden states gathered, times the output matrix (tied to the embedding when absent). */
  private encodeHead(enc: GPUCommandEncoder, pass: ForwardPass): void {
    const e = this.hp.nEmbd;
    const S = pass.sample.length;
    for (let i = 0; i < S; i++) {
      const row = (pass.sample[i] as { row: number }).row;
      enc.copyBufferToBuffer(this.act.h, row * e * 4, this.act.gathered, i * e * 4, e * 4);
    }
    const head = this.weights.get('output.weight') ?? this.weights.need('token_embd.weight');
    encodeLinear(enc, this.ops.matmul, {
      x: whole(this.act.gathered, S * e),
      w: head,
      y: whole(this.act.logits, S * this.hp.nVocab),
      m: S,
      ...(this.scratch ? { scratch: this.scratch } : {}),
    });
    // Gemma's final soft-cap, before the sampler reads the logits.
    const n = S * this.hp.nVocab;
    this.ops.softcap?.encode(enc, { x: whole(this.act.logits, n), n, cap: this.hp.finalSoftcap });
  }

  /** Sampling and readback: the sampler over the logits rows, submitted, its output mapped and decoded. */
  private async sampleAndRead(
    forwardEncoder: GPUCommandEncoder,
    pass: ForwardPass,
    rowParams: ReturnType<typeof samplerRowParams>[],
    candidates: number,
  ): Promise<SampledToken[]> {
    const { device } = this.ctx;
    let enc = forwardEncoder;
    const S = pass.sample.length;
    const vocab = this.hp.nVocab;
    const params = packSamplerParams(rowParams, vocab, candidates);
    if (params.byteLength > this.samplerParams.size) {
      this.samplerParams.destroy();
      this.samplerParams = this.buffer('samplerParams', params.byteLength * 2, storage());
    }
    let masks: PassMasks | undefined;
    if (GpuTokenMasks.needed(pass.sample)) {
      // Submit the layers first: the worker computes the grammar masks while the GPU runs them.
      device.queue.submit([enc.finish()]);
      enc = device.createCommandEncoder({ label: 'masked sampling' });
      masks = await this.masks.encode(enc, whole(this.act.logits, S * vocab), pass.sample);
    }
    device.queue.writeBuffer(this.samplerParams, 0, params as Uint32Array<ArrayBuffer>);
    this.ops.sampler.encode(enc, {
      logits: whole(this.act.logits, S * vocab),
      params: { buffer: this.samplerParams, offset: 0, size: params.byteLength },
      out: { buffer: this.samplerOut, offset: 0, size: SamplerOp.outputBytes(S) },
      rows: S,
      vocab,
      candidates,
    });
    enc.copyBufferToBuffer(this.samplerOut, 0, this.staging, 0, SamplerOp.outputBytes(S));
    device.queue.submit([enc.finish()]);
    await this.settle(this.staging.mapAsync(GPUMapMode.READ, 0, SamplerOp.outputBytes(S)));
    const data = this.staging.getMappedRange(0, SamplerOp.outputBytes(S)).slice(0);
    this.staging.unmap();
    const decoded = decodeSamplerOutput(data, S);
    const rows = decoded.map((r, i) => toSampledToken(r, pass.sample[i]?.want));
    return masks
      ? this.masks.finish(
          rows,
          masks,
          decoded.map((r) => r.logZ),
        )
      : rows;
  }

  /** Compiles (once) the matmul variants for m = T and m = S rows of every weight type used. */
  private async prepareMatmuls(...ms: number[]): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const m of ms) {
      if (m < 1) continue;
      for (const name of weightNames(this.hp)) {
        const t = this.weights.get(name);
        if (!t || t.dims.length < 2) continue;
        for (const p of t.parts) {
          const key = this.ops.matmul.shapeClass(p.dtype, m, p.cols);
          if (this.preparedMatmuls.has(key)) continue;
          this.preparedMatmuls.add(key);
          jobs.push(this.ops.matmul.prepareShape({ dtype: p.dtype, rows: p.rows, cols: p.cols, m }));
        }
      }
    }
    await Promise.all(jobs);
  }

  private encodeFfn(enc: GPUCommandEncoder, p: string, T: number): void {
    const hp = this.hp;
    const ff = hp.nFf;
    const h = { buffer: this.act.h, offset: 0, size: T * hp.nEmbd * 4 };
    this.linear(enc, h, `${p}ffn_gate`, this.act.gate, T, ff);
    this.linear(enc, h, `${p}ffn_up`, this.act.up, T, ff, true);
    this.ops.siluMul.encode(enc, {
      gate: this.act.gate,
      up: this.act.up,
      out: this.act.ffn,
      rows: T,
      cols: ff,
    });
    this.linear(
      enc,
      { buffer: this.act.ffn, offset: 0, size: T * ff * 4 },
      `${p}ffn_down`,
      this.act.delta,
      T,
      hp.nEmbd,
    );
    this.encodePostNorm(enc, `${p}post_ffw_norm.weight`, T);
  }

  /** Gemma: the block's output (delta) normed in place before the next norm adds it to x. */
  private encodePostNorm(enc: GPUCommandEncoder, weight: string, T: number): void {
    if (!this.hp.postNorms) return;
    const op = this.ops.normInPlace as NonNullable<Ops['normInPlace']>;
    const e = this.hp.nEmbd;
    op.encode(enc, {
      x: this.act.delta,
      w: this.f32(weight),
      rows: T,
      dim: e,
      groupsPerRow: 1,
      eps: this.hp.rmsEps,
    });
  }

  private linear(
    enc: GPUCommandEncoder,
    x: BufferSlice,
    name: string,
    y: GPUBuffer,
    m: number,
    n: number,
    /** x is unchanged since the previous linear (k, v after q; up after gate). */
    sameX = false,
  ): void {
    const w = this.weights.need(`${name}.weight`);
    const b = this.weights.get(`${name}.bias`);
    encodeLinear(enc, this.ops.matmul, {
      x,
      w,
      y: { buffer: y, offset: 0, size: m * n * 4 },
      m,
      sameX,
      ...(b ? { bias: this.sliceOf(b) } : {}),
      ...(this.scratch ? { scratch: this.scratch } : {}),
    });
  }

  private f32(name: string): BufferSlice {
    return this.sliceOf(this.weights.need(name));
  }

  private sliceOf(t: GpuTensor): BufferSlice {
    const p = t.parts[0];
    if (!p || t.parts.length !== 1 || t.dtype !== 'f32') {
      throw new RuminateError(
        'gguf-unsupported',
        `Tensor ${t.name} must be one f32 vector (it is ${t.dtype}).`,
      );
    }
    return { buffer: p.buffer, offset: p.offset, size: p.size };
  }

  private buffer(label: string, size: number, usage: number): GPUBuffer {
    const b = this.ctx.device.createBuffer({ label, size: Math.ceil(size / 4) * 4, usage });
    this.buffers.push(b);
    return b;
  }

  private checkUsable(): void {
    if (this.lost) {
      throw new RuminateError(
        'device-lost',
        `The GPU device was lost (${this.lost.reason}: ${this.lost.message}). Create a new engine and load the model again.`,
      );
    }
    if (this.destroyed) throw new RuminateError('not-loaded', 'The model was unloaded; load it again.');
  }

  /** Awaits GPU work, turning a device loss during it into a typed error. */
  private async settle<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      this.checkUsable();
      throw new RuminateError('internal', `GPU work failed: ${String(e)}`, { cause: e });
    }
  }
}
