// What the tuner (and `ruminate bench kernels`) drives for MoE: gating + expert matmul on one
// model-shaped problem, with buffers this object owns. Only the expert matmul's knobs vary;
// the gating runs with its shipped default in every timed run (it is part of the MoE step).
import { type GgmlTypeName, ggmlRowBytes, ggmlType } from '../../quant/ggml-types.ts';
import { quantize } from '../../quant/quantize.ts';
import type { Tunable } from '../../tuner/tunable.ts';
import type { KernelConfig, KernelContext } from '../context.ts';
import { pseudoRandom } from '../shared/pseudo-random.ts';
import { defaultIndex } from '../shared/tuning-space.ts';
import { ExpertMatmulOp, expertMatmulTuningSpace } from './expert-matmul.ts';
import { MoeGatingOp } from './moe-gating.ts';
import { moeRouteReference } from './moe-reference.ts';

/** An MoE expert-matmul problem: `rows` tokens routed to `topk` of `experts` matrices of n × k. */
export interface MoeShape {
  /** Tokens (decode: live sequences). */
  rows: number;
  /** Experts in the layer. */
  experts: number;
  /** Experts per token. */
  topk: number;
  /** Outputs per expert (weight rows). */
  n: number;
  /** Inner dimension (weight columns), a multiple of 8 and of the type's block size. */
  k: number;
  /** Weight type. */
  dtype: GgmlTypeName;
}

/** Tuner bucket of an MoE shape, e.g. `r16-e64-t8-n1408-k2048-q8_0`. */
export function moeShapeBucket(s: MoeShape): string {
  return `r${s.rows}-e${s.experts}-t${s.topk}-n${s.n}-k${s.k}-${s.dtype}`;
}

function filled(device: GPUDevice, label: string, data: ArrayBufferView, bytes = data.byteLength): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(bytes / 4) * 4),
    usage: GPUBufferUsage.STORAGE,
    mappedAtCreation: true,
  });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

/**
 * Gating + expert matmul (gate/up form: the token's row shared by its slots) as a Tunable (op
 * `moe/expert-matmul`, bucket `moeShapeBucket`). Weights: one quantized random row repeated,
 * so setup stays fast; `work.bytes` counts only the experts the fixed routing selects.
 */
export async function moeTunable(ctx: KernelContext, shape: MoeShape): Promise<Tunable> {
  const { rows, experts, topk, n, k, dtype } = shape;
  const device = ctx.device;
  const rowBytes = ggmlRowBytes(ggmlType(dtype), k);
  const expertBytes = rowBytes * n;
  const row = quantize(dtype, pseudoRandom(k, 7));
  const wBuf = device.createBuffer({
    label: 'tune/moe w',
    size: Math.ceil((expertBytes * experts) / 4) * 4,
    usage: GPUBufferUsage.STORAGE,
    mappedAtCreation: true,
  });
  const bytes = new Uint8Array(wBuf.getMappedRange());
  for (let r = 0; r < n * experts; r++) bytes.set(row, r * rowBytes);
  wBuf.unmap();
  const router = pseudoRandom(rows * experts, 3);
  const distinct = new Set(moeRouteReference(router, rows, experts, topk, true).selected).size;
  const routerBuf = filled(device, 'tune/moe router', router);
  const xBuf = filled(device, 'tune/moe x', pseudoRandom(rows * k, 11));
  const scratch = (label: string, b: number) =>
    device.createBuffer({ label, size: Math.max(16, b), usage: GPUBufferUsage.STORAGE });
  const selected = scratch('tune/moe selected', rows * topk * 4);
  const weights = scratch('tune/moe weights', rows * topk * 4);
  const groups = scratch('tune/moe groups', MoeGatingOp.groupsWords(rows, experts, topk) * 4);
  const yBuf = scratch('tune/moe y', rows * topk * n * 4);
  const gating = await MoeGatingOp.prepare(ctx);
  const ops = new Map<string, ExpertMatmulOp>();
  const keyOf = (c: KernelConfig) => JSON.stringify(c.constants);
  const w = { buffer: wBuf, offset: 0, size: expertBytes * experts, dtype, experts, rows: n, cols: k };
  const space = expertMatmulTuningSpace;
  return {
    op: space.op,
    bucket: moeShapeBucket(shape),
    candidates: space.candidates.map((c) => ({ constants: { ...c } })),
    defaultIndex: defaultIndex(space, ctx),
    prepare: async (config: KernelConfig) => {
      if (!ops.has(keyOf(config)))
        ops.set(keyOf(config), await ExpertMatmulOp.prepare(ctx, { dtype, config: config.constants }));
    },
    encode: (encoder: GPUCommandEncoder, config: KernelConfig) => {
      const op = ops.get(keyOf(config));
      if (!op) throw new Error('moeTunable: prepare(config) must run before encode(config)');
      gating.encode(encoder, {
        router: routerBuf,
        selected,
        weights,
        groups,
        rows,
        experts,
        topk,
        normalize: true,
      });
      op.encode(encoder, { weights: w, x: xBuf, groups, y: yBuf, rows, topk });
    },
    work: {
      flops: 2 * rows * topk * n * k + 5 * rows * experts,
      bytes: distinct * expertBytes + 4 * (rows * k + rows * topk * n + rows * experts),
    },
    dispose: () => {
      for (const b of [wBuf, routerBuf, xBuf, selected, weights, groups, yBuf]) b.destroy();
    },
  };
}
