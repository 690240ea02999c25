// The decoder on the CPU backend: the same graph as the GPU model (reference/forward.ts is the
// oracle of both), recorded as one program of kernel calls per forward pass over one WebAssembly
// memory, run by every thread of the pool with a barrier between calls. The embedding rows,
// the block table, page copies and sampling stay in JS on the engine's thread: they touch a few
// rows, while the program does all the work that reads weights. A mixture-of-experts layer splits
// the pass: the program up to its router logits runs, the engine's thread reads those (rows ×
// experts floats) and picks each row's experts, and the next program gathers each expert's rows,
// runs the expert's gate|up and down matmuls (one compiled kernel per shape serves every expert:
// the weight pointer is an argument) and adds the weighted outputs into the residual stream. One
// extra pool round-trip per MoE layer, none per row. Gemma's extras: the embedding rows scaled
// here, norms of the attention and feed-forward outputs before their residual adds, a sliding-
// window attention kernel and RoPE table for its sliding layers, and the final soft-cap applied
// to the sampled rows' logits here.
import { RuminateError } from '@ruminate/errors';
import { samplerCandidatesFor } from '@ruminate/gpu';
import { type Arena, type Op, Program, type ThreadPool } from '@ruminate/wasm';
import type { WasmTuningReport } from '../../engine/wasm-tuning.ts';
import { sampleRows } from '../../sampling/cpu-sampler.ts';
import { toSampledToken } from '../../sampling/sampled-token.ts';
import { samplerRowParams } from '../../sampling/sampler-row-params.ts';
import { maskSampledRows } from '../../sampling/token-mask.ts';
import type { BackendMemory, ForwardPass, ModelBackend, SampledToken } from '../backend.ts';
import type { CpuEmbedding } from '../cpu-embedding.ts';
import type { Hparams } from '../hparams.ts';
import { ThreadChoice } from './thread-choice.ts';
import type { WasmKernels } from './wasm-kernels.ts';
import type { WasmLayout } from './wasm-layout.ts';
import type { LinearSpec, MoeTensors, VectorSpec } from './wasm-tensors.ts';

/** Threads, features and memory of a CPU backend, for the DeviceProfile and the model's info. */
export interface WasmBackendInfo {
  /** Compute threads. */
  threads: number;
  /** Why that many (e.g. the two headers that would give a page threads). */
  threadsReason: string;
  /** Relaxed SIMD used by the integer dot products. */
  relaxedSimd: boolean;
  /** Bytes of WebAssembly memory held. */
  memoryBytes: number;
  /** What kernel tuning did at load. */
  tuning: WasmTuningReport;
}

/** A loaded model on the CPU backend. */
export class WasmModel implements ModelBackend {
  private destroyed = false;
  /** Per pass size, threads or the engine's thread alone, whichever is measured faster. */
  private readonly threadChoice: ThreadChoice;
  /** How the pass in flight runs. */
  private inlineNow = false;
  private failed: RuminateError | undefined;

  constructor(
    private readonly hp: Hparams,
    private readonly arena: Arena,
    private readonly layout: WasmLayout,
    private readonly kernels: WasmKernels,
    private readonly pool: ThreadPool,
    private readonly embedding: CpuEmbedding,
    /** What the backend runs on. */
    readonly info: WasmBackendInfo,
  ) {
    this.threadChoice = new ThreadChoice(pool.info.threads > 1);
  }

  /** Per pass size, whether passes now run on the pool's threads or the engine's thread alone, with the times measured. */
  threadUse(): ReturnType<ThreadChoice['summary']> {
    return this.threadChoice.summary();
  }

  memory(): BackendMemory {
    return {
      weightBytes: this.layout.weightBytes + this.embedding.byteLength,
      kvBytes: this.layout.kvBytes,
      scratchBytes: this.arena.bytes - this.layout.weightBytes - this.layout.kvBytes,
      bytesPerPage: this.layout.bytesPerPage,
    };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.destroy();
  }

  async forward(pass: ForwardPass): Promise<SampledToken[]> {
    this.checkUsable();
    const hp = this.hp;
    const L = this.layout;
    const T = pass.rows.length;
    const S = pass.sample.length;
    if (T < 1 || T > L.maxRows || S > L.maxSampled) {
      throw new RuminateError('internal', `A pass of ${T} rows / ${S} samples exceeds the model's sizing.`);
    }
    const buf = this.arena.memory.buffer;
    // Page copies (copy-on-write after a fork) and block-table rows, before any K/V is written.
    const bytes = new Uint8Array(buf);
    for (const { src, dst } of pass.copies) {
      for (const pool of L.kvPools) {
        bytes.copyWithin(pool + dst * L.pageBytes, pool + src * L.pageBytes, pool + (src + 1) * L.pageBytes);
      }
    }
    const table = new Uint32Array(buf, L.blockTable, L.numSlots * L.maxPagesPerSeq);
    const w = L.maxPagesPerSeq;
    for (const slot of pass.dirtySlots)
      table.set(pass.blockTable.subarray(slot * w, (slot + 1) * w), slot * w);
    const info = new Uint32Array(buf, L.rowInfo, T * 2);
    pass.rows.forEach((r, i) => {
      info[2 * i] = r.slot;
      info[2 * i + 1] = r.position;
    });
    const x = new Float32Array(buf, L.x, T * hp.nEmbd);
    this.embedding.gather(
      pass.rows.map((r) => r.token),
      x,
    );
    if (hp.embedScale !== 1) for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * hp.embedScale;
    this.inlineNow = this.threadChoice.inline(T);
    const started = performance.now();
    await this.runPass(pass);
    this.threadChoice.record(T, this.inlineNow, performance.now() - started);
    if (S === 0) return [];
    const rows = pass.sample.map(samplerRowParams);
    const candidates = samplerCandidatesFor(
      rows,
      pass.sample.some((s) => (s.want?.topLogprobs ?? 0) > 0),
    );
    const logits = new Float32Array(buf, L.logits, S * hp.nVocab);
    const cap = hp.finalSoftcap;
    if (cap > 0)
      for (let i = 0; i < logits.length; i++) logits[i] = cap * Math.tanh((logits[i] as number) / cap);
    // After the soft-cap: a masked logit stays −∞.
    await maskSampledRows(logits, hp.nVocab, pass.sample);
    return sampleRows(logits, hp.nVocab, rows, candidates).map((r, i) =>
      toSampledToken(r, pass.sample[i]?.want),
    );
  }

  /** Runs one program on the pool, keeping a dead worker's error for every later call. */
  private async run(ops: Op[], signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.pool.run(Program.from(ops), { inline: this.inlineNow, ...(signal ? { signal } : {}) });
    } catch (e) {
      if (e instanceof RuminateError && e.code === 'worker-failed') this.failed = e;
      throw e;
    }
  }

  /**
   * The kernel calls of one pass, in order: one program, or with experts one up to each MoE
   * layer's router logits and one after (the expert choice is made here, between the two).
   */
  private async runPass(pass: ForwardPass): Promise<void> {
    const hp = this.hp;
    const L = this.layout;
    const K = this.kernels;
    const T = pass.rows.length;
    const e = hp.nEmbd;
    const nq = hp.nHeads * hp.headDim;
    const nkv = hp.nKvHeads * hp.headDim;
    const ldqkv = nq + 2 * nkv;
    const ops: Op[] = [];
    const { linear, quantizeFor, matmuls } = this.linearOps(ops);
    /**
     * x += a block's output, written by `out(y, accumulate)`: straight into x, or (Gemma) into h,
     * normed there by `postNorm`, then added.
     */
    const residual = (postNorm: VectorSpec | undefined, out: (y: number, accumulate: boolean) => void) => {
      if (!postNorm) return out(L.x, true);
      out(L.h, false);
      ops.push(K.rmsNorm(L.h, L.vector(postNorm.name), L.h, T));
      ops.push(K.add(L.x, L.h, T * e));
    };
    for (const [l, layer] of L.tensors.layers.entries()) {
      ops.push(K.rmsNorm(L.x, L.vector(layer.attnNorm.name), L.h, T));
      linear(
        layer.qkv,
        L.h,
        T,
        L.qkv,
        ldqkv,
        false,
        layer.qkvBias ? L.vector(layer.qkvBias.name) : undefined,
      );
      if (layer.qNorm && layer.kNorm) {
        ops.push(K.headNorm('q', L.qkv, ldqkv, 0, L.vector(layer.qNorm.name), T));
        ops.push(K.headNorm('k', L.qkv, ldqkv, nq, L.vector(layer.kNorm.name), T));
      }
      ops.push(K.rope(L.qkv, ldqkv, L.rowInfo, L.ropeTableOf(l), T));
      const kPool = L.kvPools[2 * l] as number;
      const vPool = L.kvPools[2 * l + 1] as number;
      ops.push(K.kvWrite(L.qkv, ldqkv, L.rowInfo, L.blockTable, kPool, vPool, T));
      ops.push(
        K.attention(L.qkv, ldqkv, L.rowInfo, L.blockTable, kPool, vPool, L.attn, T, hp.swaLayers[l] === true),
      );
      residual(layer.postAttnNorm, (y, acc) => linear([layer.attnOutput], L.attn, T, y, e, acc));
      ops.push(K.rmsNorm(L.x, L.vector(layer.ffnNorm.name), L.h, T));
      if (layer.moe) {
        const moe = layer.moe;
        linear(moe.router, L.h, T, L.router, moe.routerWidth, false);
        await this.run(ops.splice(0), pass.signal);
        const { start, count, pairs } = this.route(moe, T);
        const R = T * hp.nExpertsUsed;
        // Each expert's rows of h, gathered expert after expert, rounded once for all experts.
        ops.push(K.gatherRows(L.h, L.moeIndex, L.moeIn, R));
        const ff = hp.nFf;
        const experts = moe.experts.filter((_, x) => (count[x] as number) > 0);
        quantizeFor(
          experts.flatMap((x) => x.gateUp),
          L.moeIn,
          R,
        );
        /** Calls `f` for each expert with rows routed to it: its first routed row and row count. */
        const perExpert = (f: (ex: (typeof moe.experts)[number], at: number, m: number) => void) => {
          for (const [x, ex] of moe.experts.entries()) {
            const m = count[x] as number;
            if (m > 0) f(ex, start[x] as number, m);
          }
        };
        perExpert((ex, at, m) =>
          matmuls(
            ex.gateUp,
            L.moeIn + 4 * at * e,
            K.quantizedBytes(at, e),
            m,
            L.gateUp + 8 * at * ff,
            2 * ff,
            false,
          ),
        );
        ops.push(K.siluMul(L.gateUp, L.act, R, ff));
        quantizeFor(
          experts.map((x) => x.down),
          L.act,
          R,
        );
        perExpert((ex, at, m) =>
          matmuls(
            [ex.down],
            L.act + 4 * at * ff,
            K.quantizedBytes(at, ff),
            m,
            L.moeOut + 4 * at * e,
            e,
            false,
          ),
        );
        if (moe.shared) {
          const fs = moe.shared.ff;
          linear(moe.shared.gateUp, L.h, T, L.gateUp, 2 * fs, false);
          ops.push(K.siluMul(L.gateUp, L.act, T, fs));
          linear([moe.shared.down], L.act, T, L.moeOut + 4 * R * e, e, false);
        }
        ops.push(K.scaledAccumulate(L.x, L.moeOut, L.moePairs, pairs));
      } else if (layer.down) {
        const down = layer.down;
        linear(layer.gateUp, L.h, T, L.gateUp, 2 * hp.nFf, false);
        ops.push(K.siluMul(L.gateUp, L.act, T));
        residual(layer.postFfnNorm, (y, acc) => linear([down], L.act, T, y, e, acc));
      }
    }
    // Only the sampled rows go through the output head: one matmul per run of consecutive rows.
    if (pass.sample.length > 0) {
      ops.push(K.rmsNorm(L.x, L.vector(L.tensors.outputNorm.name), L.h, T));
      let i = 0;
      while (i < pass.sample.length) {
        const first = (pass.sample[i] as { row: number }).row;
        let n = 1;
        while (i + n < pass.sample.length && pass.sample[i + n]?.row === first + n) n++;
        linear([L.tensors.output], L.h + 4 * first * e, n, L.logits + 4 * i * hp.nVocab, hp.nVocab, false);
        i += n;
      }
    }
    if (ops.length > 0) await this.run(ops, pass.signal);
  }

  /** Op builders over `ops` for y (+)= W·x, rounding x to 8 bits first where W needs it. */
  private linearOps(ops: Op[]) {
    const K = this.kernels;
    const L = this.layout;
    /** Rounds m rows of x (f32, the specs' cols wide) into L.xq when any of the specs reads rounded rows. */
    const quantizeFor = (specs: readonly LinearSpec[], x: number, m: number) => {
      const k = specs[0]?.cols;
      if (k !== undefined && specs.some((s) => K.quantizesInput(s))) ops.push(K.quantize(x, L.xq, m, k));
    };
    /** The matmuls over m rows at `x` (f32) or at `xq` (already rounded, when the spec reads rounded rows). */
    const matmuls = (
      specs: readonly LinearSpec[],
      x: number,
      xq: number,
      m: number,
      y: number,
      ldy: number,
      acc: boolean,
      bias?: number,
    ) => {
      for (const s of specs) {
        const input = K.quantizesInput(s) ? L.xq + xq : x;
        const b = bias !== undefined ? bias + 4 * s.outColumn : undefined;
        ops.push(K.matmul(s, input, L.weight(s.name), y + 4 * s.outColumn, m, ldy, acc, b));
      }
    };
    /** Ops of y (+)= W·x over m rows of x at `x` (f32, `k` wide), quantizing x first when W needs it. */
    const linear = (
      specs: readonly LinearSpec[],
      x: number,
      m: number,
      y: number,
      ldy: number,
      acc: boolean,
      bias?: number,
    ) => {
      quantizeFor(specs, x, m);
      matmuls(specs, x, 0, m, y, ldy, acc, bias);
    };
    return { linear, quantizeFor, matmuls };
  }

  /**
   * The expert choice of a MoE layer from its router logits (llama.cpp build_moe_ffn, as the
   * reference computes it): softmax over the experts in float64, the top k (lower index first on
   * ties), weights renormalised over the k when the model says so (mixtral), and qwen2moe's shared
   * expert weighted by the sigmoid of its gate logit. Writes the gather index (rows grouped by
   * expert, in expert order) and the combine's (row, weight) pairs; returns each expert's first
   * gathered row and row count, and the number of pairs.
   */
  private route(moe: MoeTensors, T: number): { start: Int32Array; count: Int32Array; pairs: number } {
    const hp = this.hp;
    const L = this.layout;
    const E = hp.nExperts;
    const k = hp.nExpertsUsed;
    const W = moe.routerWidth;
    const buf = this.arena.memory.buffer;
    const logits = new Float32Array(buf, L.router, T * W);
    const chosen = new Int32Array(T * k);
    const weights = new Float64Array(T * k);
    const count = new Int32Array(E);
    const probs = new Float64Array(E);
    for (let r = 0; r < T; r++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let x = 0; x < E; x++) max = Math.max(max, logits[r * W + x] as number);
      let sum = 0;
      for (let x = 0; x < E; x++) {
        const p = Math.exp((logits[r * W + x] as number) - max);
        probs[x] = p;
        sum += p;
      }
      let norm = 0;
      for (let j = 0; j < k; j++) {
        let best = -1;
        for (let x = 0; x < E; x++) {
          if ((probs[x] as number) >= 0 && (best < 0 || (probs[x] as number) > (probs[best] as number)))
            best = x;
        }
        const p = (probs[best] as number) / sum;
        chosen[r * k + j] = best;
        weights[r * k + j] = p;
        norm += p;
        probs[best] = -1;
        count[best] = (count[best] as number) + 1;
      }
      if (hp.normalizeExpertWeights)
        for (let j = 0; j < k; j++) weights[r * k + j] = (weights[r * k + j] as number) / norm;
    }
    const start = new Int32Array(E);
    for (let x = 1; x < E; x++) start[x] = (start[x - 1] as number) + (count[x - 1] as number);
    const cursor = start.slice();
    const R = T * k;
    const index = new Uint32Array(buf, L.moeIndex, R);
    const pairs = R + (moe.shared ? T : 0);
    const pairRow = new Uint32Array(buf, L.moePairs, 2 * pairs);
    const pairWeight = new Float32Array(buf, L.moePairs, 2 * pairs);
    // Rows in order within each expert, so the combine adds a row's experts in expert order.
    for (let x = 0; x < E; x++) {
      for (let i = 0; i < R; i++) {
        if (chosen[i] !== x) continue;
        const at = cursor[x] as number;
        cursor[x] = at + 1;
        const row = Math.floor(i / k);
        index[at] = row;
        pairRow[2 * at] = row;
        pairWeight[2 * at + 1] = weights[i] as number;
      }
    }
    if (moe.shared) {
      for (let r = 0; r < T; r++) {
        const g = logits[r * W + E] as number;
        pairRow[2 * (R + r)] = r;
        pairWeight[2 * (R + r) + 1] = 1 / (1 + Math.exp(-g));
      }
    }
    return { start, count, pairs };
  }

  private checkUsable(): void {
    if (this.failed) {
      throw new RuminateError(
        'worker-failed',
        `A thread of the CPU backend failed (${this.failed.message}); load the model again.`,
      );
    }
    if (this.destroyed) throw new RuminateError('not-loaded', 'The model was unloaded; load it again.');
  }
}
