// Where everything of a model lies in the CPU backend's one WebAssembly memory: weights in
// their repacked formats, f32 norm and bias vectors, the paged KV pools (the same layout as the
// GPU's: per layer K and V `[numPages][16][nKvHeads][headDim]` f32), activations sized for the
// largest pass, the RoPE table, and the thread pool's control region. Planned once, allocated
// once (initial = maximum), so no view ever goes stale.
import { kvPoolBytes, PAGE_TOKENS } from '@ruminate/gpu';
import { type Arena, MemoryPlan, reserveControl } from '@ruminate/wasm';
import type { KvGeometry } from '../backend.ts';
import type { Hparams } from '../hparams.ts';
import { type LinearSpec, type ModelTensors, modelLinears, modelVectors } from './wasm-tensors.ts';

/** Sizes the CPU model is planned for. */
export interface WasmSizes extends KvGeometry {
  /** Rows (tokens) in one forward pass. */
  maxRows: number;
  /** Rows sampled in one pass. */
  maxSampled: number;
}

/** Bytes of a linear's weights in the kernels' format, and of a quantized activation buffer. */
export interface WeightSizing {
  /** Bytes of `spec` once repacked. */
  linearBytes(spec: LinearSpec): number;
  /** Bytes of `m` rows of `k` activations rounded to 8 bits (the matmuls' input). */
  quantizedBytes(m: number, k: number): number;
}

/**
 * Most ops one program records: per layer at most 20 (Gemma's post-norms add two norms and two
 * adds), plus in a MoE layer the expert phase (a
 * gather, quantizes, silu-muls, a combine, and a gate|up and down matmul per expert and for the
 * shared expert, each at most two when its tensors differ in type), plus the head's (one quantize
 * and matmul per run of sampled rows).
 */
export function maxOps(hp: Hparams, maxSampled: number): number {
  const moe = hp.nExperts > 0 ? 12 + 3 * (hp.nExperts + 1) : 0;
  return (20 + moe) * hp.nLayers + 1 + 2 * maxSampled;
}

/** Rows the experts of one MoE layer compute in a pass of `rows` tokens (each token's top k). */
export function routedRows(hp: Hparams, rows: number): number {
  return hp.nExperts > 0 ? rows * hp.nExpertsUsed : 0;
}

/** Byte offsets of everything in the memory (after `WasmLayout.plan` and allocation). */
export class WasmLayout {
  /** Activations: residual stream `[maxRows][nEmbd]`. */
  x = 0;
  /** Normed rows `[maxRows][nEmbd]`. */
  h = 0;
  /** Activations rounded to 8 bits for the next matmul. */
  xq = 0;
  /** q|k|v rows `[maxRows][nq + 2·nkv]`. */
  qkv = 0;
  /** Attention output `[maxRows][nq]`. */
  attn = 0;
  /** gate|up rows `[maxRows][2·ff]`. */
  gateUp = 0;
  /** silu(gate)·up `[maxRows][ff]`. */
  act = 0;
  /** MoE router logits `[maxRows][routerWidth]`. */
  router = 0;
  /** MoE: the normed rows each expert reads, gathered expert after expert `[routed][nEmbd]`. */
  moeIn = 0;
  /** MoE: each expert's rows, then the shared expert's `[routed + maxRows][nEmbd]`, before weighting. */
  moeOut = 0;
  /** MoE: u32 row index of each gathered row `[routed]`. */
  moeIndex = 0;
  /** MoE: (u32 row, f32 weight) of each moeOut row `[routed + maxRows][2]`. */
  moePairs = 0;
  /** Logits of the sampled rows `[maxSampled][vocab]`. */
  logits = 0;
  /** (slot, position) per row, u32. */
  rowInfo = 0;
  /** Block table `u32 [numSlots][maxPagesPerSeq]`. */
  blockTable = 0;
  /** RoPE cos/sin table `[positions][ropeDims/2][2]` f32. */
  ropeTable = 0;
  /** The sliding-window layers' table (their own base and scale; = ropeTable without such layers). */
  ropeTableSwa = 0;
  /** K and V pool of every layer: [k0, v0, k1, v1, …]. */
  kvPools: number[] = [];
  /** The pool's control region. */
  control = 0;
  /** Bytes of one page in one pool. */
  readonly pageBytes: number;
  /** Bytes of one page across all layers, K and V. */
  readonly bytesPerPage: number;
  /** Bytes of all weights and vectors. */
  weightBytes = 0;
  /** Bytes of all KV pools. */
  kvBytes = 0;
  /** Block-table rows. */
  readonly numSlots: number;
  /** Block-table columns. */
  readonly maxPagesPerSeq: number;
  /** Pages per pool. */
  readonly numPages: number;
  /** Rows per pass. */
  readonly maxRows: number;
  /** Sampled rows per pass. */
  readonly maxSampled: number;
  private readonly offsets = new Map<string, number>();

  private constructor(
    readonly hp: Hparams,
    /** The tensors placed. */
    readonly tensors: ModelTensors,
    sizes: WasmSizes,
  ) {
    this.pageBytes = kvPoolBytes(1, hp.nKvHeads, hp.headDim);
    this.bytesPerPage = 2 * hp.nLayers * this.pageBytes;
    this.numSlots = sizes.numSlots;
    this.maxPagesPerSeq = sizes.maxPagesPerSeq;
    this.numPages = sizes.numPages;
    this.maxRows = sizes.maxRows;
    this.maxSampled = sizes.maxSampled;
  }

  /** Plans the memory of a model; returns the plan (to allocate) and the layout (to fill in from the arena). */
  static plan(
    hp: Hparams,
    tensors: ModelTensors,
    sizes: WasmSizes,
    sizing: WeightSizing,
  ): { plan: MemoryPlan; layout: WasmLayout } {
    const layout = new WasmLayout(hp, tensors, sizes);
    const plan = new MemoryPlan();
    const f32 = (n: number) => 4 * Math.max(4, n);
    const T = sizes.maxRows;
    const nq = hp.nHeads * hp.headDim;
    const nkv = hp.nKvHeads * hp.headDim;
    const ff = hp.nFf;
    const routed = routedRows(hp, T);
    const widest = Math.max(hp.nEmbd, nq, ff, hp.nFfShared);
    // Feed-forward rows: T dense rows, or the routed rows of the experts and T of the shared one.
    const ffRows = hp.nExperts > 0 ? Math.max(routed * ff, T * hp.nFfShared) : T * ff;
    const routerWidth = tensors.layers[0]?.moe?.routerWidth ?? 0;
    for (const [name, bytes] of [
      ['x', f32(T * hp.nEmbd)],
      ['h', f32(T * hp.nEmbd)],
      ['xq', Math.max(64, sizing.quantizedBytes(Math.max(T, routed), widest))],
      ['qkv', f32(T * (nq + 2 * nkv))],
      ['attn', f32(T * nq)],
      ['gateUp', f32(2 * ffRows)],
      ['act', f32(ffRows)],
      ['router', f32(T * routerWidth)],
      ['moeIn', f32(routed * hp.nEmbd)],
      ['moeOut', f32((routed + (hp.nExperts > 0 ? T : 0)) * hp.nEmbd)],
      ['moeIndex', f32(routed)],
      ['moePairs', f32(2 * (routed + T))],
      ['logits', f32(sizes.maxSampled * hp.nVocab)],
      ['rowInfo', 8 * T],
      ['blockTable', 4 * sizes.numSlots * sizes.maxPagesPerSeq],
      ['ropeTable', f32(sizes.maxPagesPerSeq * PAGE_TOKENS * hp.ropeDims)],
      [
        'ropeTableSwa',
        hp.swaLayers.some((s) => s) ? f32(sizes.maxPagesPerSeq * PAGE_TOKENS * hp.ropeDims) : 0,
      ],
    ] as const) {
      plan.add(name, bytes, 64);
    }
    reserveControl(plan, maxOps(hp, sizes.maxSampled), 'pool-control');
    const vectors = modelVectors(tensors);
    const linears: LinearSpec[] = modelLinears(tensors).map((l) => l.spec);
    for (const v of vectors) {
      plan.add(`v:${v.name}`, f32(v.length), 64);
      layout.weightBytes += f32(v.length);
    }
    for (const s of linears) {
      const bytes = sizing.linearBytes(s);
      plan.addWeights(`w:${s.name}`, bytes);
      layout.weightBytes += bytes;
    }
    for (let l = 0; l < hp.nLayers; l++) {
      for (const kv of ['k', 'v'])
        plan.add(`${kv}${l}`, kvPoolBytes(sizes.numPages, hp.nKvHeads, hp.headDim), 64);
    }
    layout.kvBytes = 2 * hp.nLayers * kvPoolBytes(sizes.numPages, hp.nKvHeads, hp.headDim);
    return { plan, layout };
  }

  /** Takes the offsets of an arena allocated from this layout's plan. */
  bind(arena: Arena): void {
    const at = (name: string) => arena.region(name).offset;
    this.x = at('x');
    this.h = at('h');
    this.xq = at('xq');
    this.qkv = at('qkv');
    this.attn = at('attn');
    this.gateUp = at('gateUp');
    this.act = at('act');
    this.router = at('router');
    this.moeIn = at('moeIn');
    this.moeOut = at('moeOut');
    this.moeIndex = at('moeIndex');
    this.moePairs = at('moePairs');
    this.logits = at('logits');
    this.rowInfo = at('rowInfo');
    this.blockTable = at('blockTable');
    this.ropeTable = at('ropeTable');
    this.ropeTableSwa = this.hp.swaLayers.some((s) => s) ? at('ropeTableSwa') : this.ropeTable;
    this.control = at('pool-control');
    this.kvPools = [];
    for (let l = 0; l < this.hp.nLayers; l++) this.kvPools.push(at(`k${l}`), at(`v${l}`));
    for (const r of arena.regions.values()) this.offsets.set(r.name, r.offset);
  }

  /** The RoPE table layer `l` reads. */
  ropeTableOf(l: number): number {
    return this.hp.swaLayers[l] ? this.ropeTableSwa : this.ropeTable;
  }

  /** Offset of a linear's repacked weights. */
  weight(name: string): number {
    return this.need(`w:${name}`);
  }

  /** Offset of an f32 vector. */
  vector(name: string): number {
    return this.need(`v:${name}`);
  }

  private need(key: string): number {
    const o = this.offsets.get(key);
    if (o === undefined) throw new RangeError(`WasmLayout: nothing placed under ${key}`);
    return o;
  }
}
