// The kernels of one model on the CPU backend: which @ruminate/wasm emitters it needs,
// specialised on this model's shapes (one matmul per weight type, k, n and epilogue), compiled
// into one module over the model's memory; and the ops (kernel calls) a forward pass records.

import { RuminateError } from '@ruminate/errors';
import {
  type Arena,
  actRowBytes,
  buildRopeTable,
  defaultMatmulChoice,
  emitAdd,
  emitGatherRows,
  emitKvWrite,
  emitMatmul,
  emitPagedAttention,
  emitQuantizeActivations,
  emitRmsNorm,
  emitRope,
  emitScaledAccumulate,
  emitSiluMul,
  formatOf,
  type KernelExport,
  type MatmulChoice,
  type MatmulProblem,
  type MatmulSpec,
  ModuleBuilder,
  matmulProblemKey,
  type Op,
  packedLayout,
  repack,
  WEIGHT_TYPES,
  type WeightType,
} from '@ruminate/wasm';
import type { Hparams } from '../hparams.ts';
import type { WasmLayout, WeightSizing } from './wasm-layout.ts';
import { type LinearSpec, type ModelTensors, modelLinears } from './wasm-tensors.ts';

/** CPU features the kernels are specialised on. */
export interface WasmKernelFeatures {
  /** Integer dot products through `i32x4.relaxed_dot_i8x16_i7x16_add_s`. */
  relaxedSimd: boolean;
}

interface Emitted {
  name: string;
  fn: number;
  args: readonly string[];
}

/** A model's kernels: sizes for the memory plan, the module, and op constructors for the forward pass. */
export class WasmKernels implements WeightSizing {
  private readonly emitted = new Map<string, Emitted>();
  private names: string[] = [];
  private layout: WasmLayout | undefined;
  /** Tuned matmul choices by `matmulProblemKey` (absent: the shipped default). */
  private readonly choices = new Map<string, MatmulChoice>();

  constructor(
    private readonly hp: Hparams,
    private readonly features: WasmKernelFeatures,
  ) {}

  /**
   * The matmul problems a tuner may time for this model: every (type, k, n) at one activation
   * row (decode) and at 16 (batched steps and prefill).
   */
  matmulProblems(tensors: ModelTensors): MatmulProblem[] {
    const seen = new Map<string, MatmulProblem>();
    for (const { spec } of modelLinears(tensors)) {
      for (const m of [1, 16]) {
        const p = { type: weightType(spec), k: spec.cols, n: spec.rows, m };
        seen.set(matmulProblemKey(p), p);
      }
    }
    // Decode shapes (one row) first: when the budget runs out, the batched ones keep their defaults.
    return [...seen.values()].sort((a, b) => a.m - b.m);
  }

  /** Uses `choice` for `problem` (call before compile). */
  choose(problem: MatmulProblem, choice: MatmulChoice): void {
    this.choices.set(matmulProblemKey(problem), choice);
  }

  /** Bytes of a linear's weights once repacked. */
  linearBytes(spec: LinearSpec): number {
    return packedLayout(weightType(spec), spec.rows, spec.cols).bytes;
  }

  /** Bytes of m rows of k activations rounded to 8 bits. */
  quantizedBytes(m: number, k: number): number {
    return m * actRowBytes(k);
  }

  /** True when the matmul of `spec` reads activations rounded to 8 bits (every quantized type; f32/f16/bf16 read f32). */
  quantizesInput(spec: LinearSpec): boolean {
    return formatOf(weightType(spec)).kind !== 'f32';
  }

  /** Writes a linear's GGUF bytes (its sources' rows stacked) into `dst` in the kernels' format. */
  repack(spec: LinearSpec, src: Uint8Array, dst: Uint8Array): void {
    repack(weightType(spec), src, spec.rows, spec.cols, dst);
  }

  /**
   * The RoPE (cos, sin) table for positions 0 … positions − 1 of the global layers, or with
   * `swa` of the sliding-window ones (their own base and scale): linear scaling, frequency
   * factors (Llama 3's, Phi-3's long or short) and ggml's attn_factor included.
   */
  ropeTable(positions: number, freqFactors?: ArrayLike<number>, swa = false): Float32Array {
    const hp = this.hp;
    return buildRopeTable({
      ropeDims: hp.ropeDims,
      base: swa ? hp.ropeBaseSwa : hp.ropeBase,
      maxPositions: positions,
      linearScale: swa ? hp.ropeScaleSwa : hp.ropeScale,
      magnitude: hp.ropeAttnFactor,
      ...(freqFactors ? { freqFactors } : {}),
    });
  }

  /** Export names in op `fn` order (after compile). */
  exportNames(): string[] {
    return this.names;
  }

  /** Emits every kernel the model's passes call and compiles them over the arena's memory. */
  async compile(arena: Arena, tensors: ModelTensors, layout: WasmLayout): Promise<WebAssembly.Module> {
    const hp = this.hp;
    this.layout = layout;
    const mod = new ModuleBuilder().importMemory({
      initial: arena.pages,
      maximum: arena.pages,
      shared: arena.shared,
    });
    const add = (key: string, k: KernelExport) =>
      this.emitted.set(key, { name: k.name, fn: -1, args: k.args });
    const hd = hp.headDim;
    add('norm', emitRmsNorm(mod, { dim: hp.nEmbd, eps: hp.rmsEps, name: 'rms_norm' }));
    if (tensors.layers.some((l) => l.qNorm)) {
      add('qNorm', emitRmsNorm(mod, { dim: hd, groups: hp.nHeads, eps: hp.rmsEps, name: 'q_norm' }));
      add('kNorm', emitRmsNorm(mod, { dim: hd, groups: hp.nKvHeads, eps: hp.rmsEps, name: 'k_norm' }));
    }
    const heads = { nHeads: hp.nHeads, nKvHeads: hp.nKvHeads, headDim: hd };
    add('rope', emitRope(mod, { ...heads, ropeDims: hp.ropeDims, style: hp.ropeStyle, name: 'rope' }));
    add('kvWrite', emitKvWrite(mod, { nKvHeads: hp.nKvHeads, headDim: hd, name: 'kv_write' }));
    const scores = { scale: hp.attnScale, softcap: hp.attnSoftcap };
    add('attention', emitPagedAttention(mod, { ...heads, ...scores, name: 'attention' }));
    if (hp.swaLayers.some((s) => s)) {
      add(
        'attentionSwa',
        emitPagedAttention(mod, { ...heads, ...scores, window: hp.slidingWindow, name: 'attention_swa' }),
      );
    }
    if (hp.postNorms) add('add', emitAdd(mod, { name: 'add_f32' }));
    const widths = new Set([hp.nFf]);
    if (tensors.layers.some((l) => l.moe)) {
      add('gatherRows', emitGatherRows(mod, { dim: hp.nEmbd, name: 'gather_rows' }));
      add('scaledAccumulate', emitScaledAccumulate(mod, { dim: hp.nEmbd, name: 'scaled_accumulate' }));
      if (hp.nFfShared > 0) widths.add(hp.nFfShared);
    }
    const act = hp.ffnAct;
    for (const ff of widths) add(`siluMul:${ff}`, emitSiluMul(mod, { ff, act, name: `${act}_mul_${ff}` }));
    for (const { spec: s, accumulate, bias } of modelLinears(tensors)) {
      for (const rows of ['one', 'many'] as const) {
        const key = this.matmulKey(s, accumulate, bias, rows);
        if (this.emitted.has(key)) continue;
        const spec = this.matmulSpec(s, accumulate, bias, rows);
        // One kernel serves both when the tuned choices agree.
        const twin =
          rows === 'many' ? this.emitted.get(this.matmulKey(s, accumulate, bias, 'one')) : undefined;
        if (twin && twin.name === spec.name) this.emitted.set(key, twin);
        else add(key, emitMatmul(mod, spec));
      }
      const qk = `quantize:${s.cols}`;
      if (this.quantizesInput(s) && !this.emitted.has(qk)) {
        add(qk, emitQuantizeActivations(mod, { k: s.cols, name: `quantize_k${s.cols}` }));
      }
    }
    this.names = mod.exportNames();
    const index = new Map(this.names.map((n, i) => [n, i]));
    for (const e of this.emitted.values()) e.fn = index.get(e.name) ?? -1;
    return WebAssembly.compile(mod.encode());
  }

  /** RMSNorm of T rows of the residual stream into `out`. */
  rmsNorm(x: number, w: number, out: number, rows: number): Op {
    const e = this.hp.nEmbd;
    return this.op('norm', [x, w, out, rows, e, e]);
  }

  /** Per-head RMSNorm in place over the q (`which` = 'q') or k heads of fused qkv rows (qwen3). */
  headNorm(which: 'q' | 'k', qkv: number, ld: number, column: number, w: number, rows: number): Op {
    const at = qkv + 4 * column;
    return this.op(which === 'q' ? 'qNorm' : 'kNorm', [at, w, at, rows, ld, ld]);
  }

  /** RoPE in place on the q and k heads of fused qkv rows. */
  rope(qkv: number, ld: number, rowInfo: number, table: number, rows: number): Op {
    const k = qkv + 4 * this.hp.nHeads * this.hp.headDim;
    return this.op('rope', [qkv, k, ld, ld, rowInfo, table, rows]);
  }

  /** Writes the k and v of fused qkv rows into a layer's pools. */
  kvWrite(
    qkv: number,
    ld: number,
    rowInfo: number,
    blockTable: number,
    kPool: number,
    vPool: number,
    rows: number,
  ): Op {
    const L = this.need();
    const nq = this.hp.nHeads * this.hp.headDim;
    const nkv = this.hp.nKvHeads * this.hp.headDim;
    return this.op('kvWrite', [
      qkv + 4 * nq,
      qkv + 4 * (nq + nkv),
      ld,
      ld,
      rowInfo,
      blockTable,
      L.maxPagesPerSeq,
      L.numPages,
      kPool,
      vPool,
      rows,
    ]);
  }

  /** x[i] += y[i] over n floats (the residual add after Gemma's post-norms). */
  add(x: number, y: number, n: number): Op {
    return this.op('add', [x, y, x, n]);
  }

  /**
   * Causal paged attention of the q heads of fused qkv rows into `out` (rows of nHeads·headDim),
   * within the sliding window when `swa`.
   */
  attention(
    qkv: number,
    ld: number,
    rowInfo: number,
    blockTable: number,
    kPool: number,
    vPool: number,
    out: number,
    rows: number,
    swa = false,
  ): Op {
    const L = this.need();
    const nq = this.hp.nHeads * this.hp.headDim;
    return this.op(swa ? 'attentionSwa' : 'attention', [
      qkv,
      ld,
      kPool,
      vPool,
      blockTable,
      L.maxPagesPerSeq,
      rowInfo,
      out,
      nq,
      rows,
    ]);
  }

  /** act(gate)·up (SiLU or GELU, the model's) of fused gate|up rows into `out` (rows of ff, the model's nFf unless given). */
  siluMul(gateUp: number, out: number, rows: number, ff = this.hp.nFf): Op {
    return this.op(`siluMul:${ff}`, [gateUp, gateUp + 4 * ff, 2 * ff, out, ff, rows]);
  }

  /** dst[i] = src[index[i]] for `count` rows of nEmbd floats (index: u32 row numbers). */
  gatherRows(src: number, index: number, dst: number, count: number): Op {
    const e = this.hp.nEmbd;
    return this.op('gatherRows', [src, e, index, dst, e, count]);
  }

  /** x[row_i] += weight_i · y[i] over `count` (u32 row, f32 weight) pairs, rows of nEmbd floats. */
  scaledAccumulate(x: number, y: number, pairs: number, count: number): Op {
    const e = this.hp.nEmbd;
    return this.op('scaledAccumulate', [x, e, y, e, pairs, count]);
  }

  /** Rounds m rows of k f32 values (row stride k) to 8 bits per block of 32, for the next matmul. */
  quantize(x: number, xq: number, m: number, k: number): Op {
    return this.op(`quantize:${k}`, [x, xq, m, k]);
  }

  /** y[j·ldy + r] (+)= W·x over m rows (x already rounded when the type needs it), with bias when given. */
  matmul(
    s: LinearSpec,
    x: number,
    w: number,
    y: number,
    m: number,
    ldy: number,
    accumulate: boolean,
    bias?: number,
  ): Op {
    const args = [x, w, y, m, ldy];
    if (bias !== undefined) args.push(bias);
    return this.op(this.matmulKey(s, accumulate, bias !== undefined, m === 1 ? 'one' : 'many'), args);
  }

  private matmulSpec(s: LinearSpec, accumulate: boolean, bias: boolean, rows: 'one' | 'many'): MatmulSpec {
    const type = weightType(s);
    const problem = { type, k: s.cols, n: s.rows, m: rows === 'one' ? 1 : 16 };
    const choice =
      this.choices.get(matmulProblemKey(problem)) ?? defaultMatmulChoice(type, this.features.relaxedSimd);
    const c = rows === 'one' ? { ...choice, actTile: 1 } : choice;
    const name =
      `matmul_${type}_k${s.cols}_n${s.rows}_r${c.rowTiles}_a${c.actTile}_b${c.blockBytes}` +
      `${c.relaxed ? '_rx' : ''}${accumulate ? '_acc' : ''}${bias ? '_bias' : ''}`;
    return {
      type,
      k: s.cols,
      n: s.rows,
      ...c,
      relaxed: c.relaxed && this.features.relaxedSimd,
      accumulate,
      bias,
      name,
    };
  }

  private matmulKey(s: LinearSpec, accumulate: boolean, bias: boolean, rows: 'one' | 'many'): string {
    return `matmul:${s.type}:${s.cols}:${s.rows}:${accumulate}:${bias}:${rows}`;
  }

  private op(key: string, args: number[]): Op {
    const e = this.emitted.get(key);
    if (!e || e.fn < 0) throw new RuminateError('internal', `CPU backend: kernel ${key} was not compiled.`);
    if (e.args.length !== args.length) {
      throw new RuminateError(
        'internal',
        `CPU backend: kernel ${key} takes ${e.args.length} arguments, got ${args.length}.`,
      );
    }
    return { fn: e.fn, args };
  }

  private need(): WasmLayout {
    if (!this.layout) throw new RuminateError('internal', 'CPU backend: kernels used before compile().');
    return this.layout;
  }
}

/** The kernels' name for a GGUF type, or a typed error for a type the CPU backend cannot read. */
function weightType(spec: LinearSpec): WeightType {
  const t = spec.type.toLowerCase();
  if (!(WEIGHT_TYPES as readonly string[]).includes(t)) {
    throw new RuminateError(
      'gguf-unsupported',
      `Tensor ${spec.name} is ${spec.type}, which the WebAssembly backend does not read ` +
        `(it reads ${WEIGHT_TYPES.join(', ')}); load it with backend: 'webgpu' or pick another quantization.`,
    );
  }
  return t as WeightType;
}
