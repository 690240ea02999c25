// The mixture-of-experts feed-forward block on the GPU (llama.cpp build_moe_ffn): router matmul,
// softmax + top-k gating (weights renormalised for mixtral-style llama, not for qwen2moe),
// grouped expert matmuls reading only the selected experts, SwiGLU, and a weighted combine.
// qwen2moe's shared expert adds sigmoid(g)·FFN_shexp(h), g = ffn_gate_inp_shexp·h. With the ops
// at hand that gate is computed as a 2-way softmax over [g, 0] (softmax([g, 0])₀ = sigmoid(g)):
// the shared down projection is bound as expert 0 of a 2-expert tensor whose expert 1 is zeros,
// and the gating + combine ops then add exactly sigmoid(g)·down(act). (A dedicated sigmoid-gated
// add op would save the zero half and one dispatch.)
import { RuminateError } from '@ruminate/errors';
import {
  type BufferSlice,
  ExpertMatmulOp,
  type ExpertWeights,
  ggmlRowBytes,
  ggmlType,
  type KernelContext,
  type MatmulOp,
  MoeCombineOp,
  MoeGatingOp,
  type SiluMulOp,
  type WeightMatrix,
} from '@ruminate/gpu';
import type { GpuTensor, GpuWeights } from './gpu-weights.ts';
import type { Hparams } from './hparams.ts';
import { encodeLinear } from './linear.ts';

const usage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

/** Expert FFN of every MoE layer, with its scratch buffers. */
export class MoeBlock {
  private readonly buffers: GPUBuffer[] = [];
  private readonly router: GPUBuffer;
  private readonly selected: GPUBuffer;
  private readonly weightsBuf: GPUBuffer;
  private readonly groups: GPUBuffer;
  private readonly eGate: GPUBuffer;
  private readonly eUp: GPUBuffer;
  private readonly eAct: GPUBuffer;
  private readonly eOut: GPUBuffer;
  private readonly shared: SharedExpert | undefined;

  private constructor(
    private readonly ctx: KernelContext,
    private readonly hp: Hparams,
    private readonly weights: GpuWeights,
    private readonly gating: MoeGatingOp,
    private readonly experts: Map<string, ExpertMatmulOp>,
    private readonly combine: MoeCombineOp,
    private readonly combineAdd: MoeCombineOp | undefined,
    maxRows: number,
  ) {
    const k = hp.nExpertsUsed;
    const f32 = (n: number) => this.buffer(Math.max(16, n * 4));
    this.router = f32(maxRows * hp.nExperts);
    this.selected = f32(maxRows * k);
    this.weightsBuf = f32(maxRows * k);
    this.groups = f32(MoeGatingOp.groupsWords(maxRows, hp.nExperts, k));
    this.eGate = f32(maxRows * k * hp.nFf);
    this.eUp = f32(maxRows * k * hp.nFf);
    this.eAct = f32(maxRows * k * hp.nFf);
    this.eOut = f32(maxRows * k * hp.nEmbd);
    if (hp.nFfShared > 0) {
      const fs = hp.nFfShared;
      const router: WeightMatrix[] = [];
      const down: ExpertWeights[] = [];
      const enc = ctx.device.createCommandEncoder({ label: 'shared-expert setup' });
      for (let l = 0; l < hp.nLayers; l++) {
        const p = `blk.${l}.`;
        // [g-row; zero-row] router, f32 [2][nEmbd].
        const gate = single(weights.need(`${p}ffn_gate_inp_shexp.weight`));
        const rb = this.buffer(2 * hp.nEmbd * 4);
        enc.copyBufferToBuffer(gate.buffer, gate.offset, rb, 0, hp.nEmbd * 4);
        router.push({ buffer: rb, offset: 0, size: rb.size, dtype: 'f32', rows: 2, cols: hp.nEmbd });
        // [down_shexp; zeros] as a 2-expert tensor in the stored type (all-zero bytes decode to 0).
        const dt = weights.need(`${p}ffn_down_shexp.weight`);
        const d = single(dt);
        const bytes = ggmlRowBytes(ggmlType(dt.dtype), fs) * hp.nEmbd;
        const db = this.buffer(2 * bytes + 4);
        enc.copyBufferToBuffer(d.buffer, d.offset, db, 0, Math.ceil(bytes / 4) * 4);
        down.push({
          buffer: db,
          offset: 0,
          size: db.size,
          dtype: dt.dtype,
          experts: 2,
          rows: hp.nEmbd,
          cols: fs,
        });
      }
      ctx.device.queue.submit([enc.finish()]);
      this.shared = {
        router,
        down,
        gate: f32(maxRows * fs),
        up: f32(maxRows * fs),
        act: f32(maxRows * fs),
        logits: f32(maxRows * 2),
        selected: f32(maxRows * 2),
        weights: f32(maxRows * 2),
        groups: f32(MoeGatingOp.groupsWords(maxRows, 2, 2)),
        out: f32(maxRows * 2 * hp.nEmbd),
      };
    }
  }

  /** Compiles the gating, expert matmul (per weight type) and combine kernels. */
  static async create(
    ctx: KernelContext,
    hp: Hparams,
    weights: GpuWeights,
    maxRows: number,
  ): Promise<MoeBlock> {
    const dtypes = new Set<string>();
    for (let l = 0; l < hp.nLayers; l++) {
      for (const n of ['gate', 'up', 'down'])
        dtypes.add(expertTensor(weights, `blk.${l}.ffn_${n}_exps.weight`).dtype);
      if (hp.nFfShared > 0) dtypes.add(weights.need(`blk.${l}.ffn_down_shexp.weight`).dtype);
    }
    const [gating, combine, combineAdd, ...ops] = await Promise.all([
      MoeGatingOp.prepare(ctx),
      MoeCombineOp.prepare(ctx),
      hp.nFfShared > 0 ? MoeCombineOp.prepare(ctx, { accumulate: true }) : Promise.resolve(undefined),
      ...[...dtypes].map((dtype) => ExpertMatmulOp.prepare(ctx, { dtype: dtype as ExpertWeights['dtype'] })),
    ]);
    const experts = new Map([...dtypes].map((d, i) => [d, ops[i] as unknown as ExpertMatmulOp]));
    return new MoeBlock(ctx, hp, weights, gating, experts, combine, combineAdd, maxRows);
  }

  /** Bytes of scratch held. */
  get scratchBytes(): number {
    return this.buffers.reduce((s, b) => s + b.size, 0);
  }

  /** Records out[T][nEmbd] = Σ_selected w·expert(h) for layer `l`. */
  encode(
    enc: GPUCommandEncoder,
    l: number,
    io: { h: BufferSlice; out: GPUBuffer; rows: number; matmul: MatmulOp; siluMul: SiluMulOp },
  ): void {
    const hp = this.hp;
    const T = io.rows;
    const k = hp.nExpertsUsed;
    const p = `blk.${l}.`;
    encodeLinear(enc, io.matmul, {
      x: io.h,
      w: this.weights.need(`${p}ffn_gate_inp.weight`),
      y: { buffer: this.router, offset: 0, size: T * hp.nExperts * 4 },
      m: T,
    });
    this.gating.encode(enc, {
      router: this.router,
      selected: this.selected,
      weights: this.weightsBuf,
      groups: this.groups,
      rows: T,
      experts: hp.nExperts,
      topk: k,
      normalize: hp.normalizeExpertWeights,
    });
    const run = (name: string, x: GPUBuffer | BufferSlice, y: GPUBuffer, slotStride?: number) => {
      const t = expertTensor(this.weights, `${p}ffn_${name}_exps.weight`);
      const op = this.experts.get(t.dtype) as ExpertMatmulOp;
      op.encode(enc, {
        weights: t,
        x,
        groups: this.groups,
        y,
        rows: T,
        topk: k,
        ...(slotStride ? { xSlotStride: slotStride, xRowStride: k * slotStride } : {}),
      });
    };
    run('gate', io.h, this.eGate);
    run('up', io.h, this.eUp);
    io.siluMul.encode(enc, { gate: this.eGate, up: this.eUp, out: this.eAct, rows: T * k, cols: hp.nFf });
    run('down', this.eAct, this.eOut, hp.nFf);
    this.combine.encode(enc, {
      y: this.eOut,
      weights: this.weightsBuf,
      out: io.out,
      rows: T,
      n: hp.nEmbd,
      topk: k,
    });
    if (this.shared) this.encodeShared(enc, l, io, this.shared);
  }

  /** out += sigmoid(ffn_gate_inp_shexp·h) · down_shexp(silu(gate_shexp·h) ⊙ up_shexp·h). */
  private encodeShared(
    enc: GPUCommandEncoder,
    l: number,
    io: { h: BufferSlice; out: GPUBuffer; rows: number; matmul: MatmulOp; siluMul: SiluMulOp },
    s: SharedExpert,
  ): void {
    const hp = this.hp;
    const T = io.rows;
    const fs = hp.nFfShared;
    const p = `blk.${l}.`;
    const slice = (b: GPUBuffer, n: number) => ({ buffer: b, offset: 0, size: n * 4 });
    const w = (n: string) => this.weights.need(`${p}${n}.weight`);
    encodeLinear(enc, io.matmul, { x: io.h, w: w('ffn_gate_shexp'), y: slice(s.gate, T * fs), m: T });
    encodeLinear(enc, io.matmul, { x: io.h, w: w('ffn_up_shexp'), y: slice(s.up, T * fs), m: T });
    io.siluMul.encode(enc, { gate: s.gate, up: s.up, out: s.act, rows: T, cols: fs });
    io.matmul.encode(enc, { x: io.h, w: s.router[l] as WeightMatrix, y: slice(s.logits, T * 2), m: T });
    this.gating.encode(enc, {
      router: s.logits,
      selected: s.selected,
      weights: s.weights,
      groups: s.groups,
      rows: T,
      experts: 2,
      topk: 2,
      normalize: false,
    });
    const down = s.down[l] as ExpertWeights;
    (this.experts.get(down.dtype) as ExpertMatmulOp).encode(enc, {
      weights: down,
      x: s.act,
      groups: s.groups,
      y: s.out,
      rows: T,
      topk: 2,
    });
    (this.combineAdd as MoeCombineOp).encode(enc, {
      y: s.out,
      weights: s.weights,
      out: io.out,
      rows: T,
      n: hp.nEmbd,
      topk: 2,
    });
  }

  /** Destroys the scratch buffers. */
  destroy(): void {
    for (const b of this.buffers) b.destroy();
  }

  private buffer(size: number): GPUBuffer {
    const b = this.ctx.device.createBuffer({ label: 'moe', size: Math.ceil(size / 4) * 4, usage: usage() });
    this.buffers.push(b);
    return b;
  }
}

/** Per-layer tensors and scratch of qwen2moe's shared expert. */
interface SharedExpert {
  router: WeightMatrix[];
  down: ExpertWeights[];
  gate: GPUBuffer;
  up: GPUBuffer;
  act: GPUBuffer;
  logits: GPUBuffer;
  selected: GPUBuffer;
  weights: GPUBuffer;
  groups: GPUBuffer;
  out: GPUBuffer;
}

/** The single binding of a tensor (shared-expert tensors are small). */
function single(t: GpuTensor): { buffer: GPUBuffer; offset: number; size: number } {
  const p = t.parts[0];
  if (!p || t.parts.length !== 1) {
    throw new RuminateError(
      'limit-too-low',
      `Tensor ${t.name} does not fit one storage binding on this device.`,
    );
  }
  return p;
}

/** A 3-D expert tensor as the expert matmul binds it (whole, in one binding). */
function expertTensor(weights: GpuWeights, name: string): ExpertWeights {
  const t: GpuTensor = weights.need(name);
  const p = t.parts[0];
  if (!p || t.parts.length !== 1 || t.dims.length !== 3) {
    throw new RuminateError(
      'limit-too-low',
      `Expert tensor ${name} does not fit one storage binding on this device; use a device with larger bindings.`,
    );
  }
  return {
    buffer: p.buffer,
    offset: p.offset,
    size: p.size,
    dtype: t.dtype,
    experts: t.dims[2] as number,
    rows: t.dims[1] as number,
    cols: t.dims[0] as number,
  };
}
