// The mixture-of-experts feed-forward block on the GPU (llama.cpp build_moe_ffn): router matmul,
// softmax + top-k gating (weights renormalised for mixtral-style llama, not for qwen2moe),
// grouped expert matmuls reading only the selected experts, SwiGLU, and a weighted combine.
import {
  type BufferSlice,
  ExpertMatmulOp,
  type ExpertWeights,
  type KernelContext,
  type Matmul,
  MoeCombineOp,
  MoeGatingOp,
  RuminateError,
  type SiluMulOp,
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

  private constructor(
    private readonly ctx: KernelContext,
    private readonly hp: Hparams,
    private readonly weights: GpuWeights,
    private readonly gating: MoeGatingOp,
    private readonly experts: Map<string, ExpertMatmulOp>,
    private readonly combine: MoeCombineOp,
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
    }
    const [gating, combine, ...ops] = await Promise.all([
      MoeGatingOp.prepare(ctx),
      MoeCombineOp.prepare(ctx),
      ...[...dtypes].map((dtype) => ExpertMatmulOp.prepare(ctx, { dtype: dtype as ExpertWeights['dtype'] })),
    ]);
    const experts = new Map([...dtypes].map((d, i) => [d, ops[i] as ExpertMatmulOp]));
    return new MoeBlock(ctx, hp, weights, gating, experts, combine, maxRows);
  }

  /** Bytes of scratch held. */
  get scratchBytes(): number {
    return this.buffers.reduce((s, b) => s + b.size, 0);
  }

  /** Records out[T][nEmbd] = Σ_selected w·expert(h) for layer `l`. */
  encode(
    enc: GPUCommandEncoder,
    l: number,
    io: { h: BufferSlice; out: GPUBuffer; rows: number; matmul: Matmul; siluMul: SiluMulOp },
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
