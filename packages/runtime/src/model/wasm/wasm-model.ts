// The decoder on the CPU backend: the same graph as the GPU model (reference/forward.ts is the
// oracle of both), recorded as one program of kernel calls per forward pass over one WebAssembly
// memory, run by every thread of the pool with a barrier between calls. The embedding rows,
// the block table, page copies and sampling stay in JS on the engine's thread: they touch a few
// rows, while the program does all the work that reads weights.
import { RuminateError } from '@ruminate/errors';
import { samplerCandidatesFor } from '@ruminate/gpu';
import { type Arena, type Op, Program, type ThreadPool } from '@ruminate/wasm';
import { sampleRows } from '../../sampling/cpu-sampler.ts';
import { toSampledToken } from '../../sampling/sampled-token.ts';
import { samplerRowParams } from '../../sampling/sampler-row-params.ts';
import type { BackendMemory, ForwardPass, ModelBackend, SampledToken } from '../backend.ts';
import type { CpuEmbedding } from '../cpu-embedding.ts';
import type { Hparams } from '../hparams.ts';
import type { WasmKernels } from './wasm-kernels.ts';
import type { WasmLayout } from './wasm-layout.ts';
import type { LinearSpec } from './wasm-tensors.ts';

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
}

/** A loaded model on the CPU backend. */
export class WasmModel implements ModelBackend {
  private destroyed = false;
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
  ) {}

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
    this.embedding.gather(
      pass.rows.map((r) => r.token),
      new Float32Array(buf, L.x, T * hp.nEmbd),
    );
    try {
      await this.pool.run(Program.from(this.program(pass)));
    } catch (e) {
      if (e instanceof RuminateError && e.code === 'worker-failed') this.failed = e;
      throw e;
    }
    if (S === 0) return [];
    const rows = pass.sample.map(samplerRowParams);
    const candidates = samplerCandidatesFor(
      rows,
      pass.sample.some((s) => (s.want?.topLogprobs ?? 0) > 0),
    );
    const logits = new Float32Array(buf, L.logits, S * hp.nVocab);
    return sampleRows(logits, hp.nVocab, rows, candidates).map((r, i) =>
      toSampledToken(r, pass.sample[i]?.want),
    );
  }

  /** The kernel calls of one pass, in order. */
  private program(pass: ForwardPass): Op[] {
    const hp = this.hp;
    const L = this.layout;
    const K = this.kernels;
    const T = pass.rows.length;
    const e = hp.nEmbd;
    const nq = hp.nHeads * hp.headDim;
    const nkv = hp.nKvHeads * hp.headDim;
    const ldqkv = nq + 2 * nkv;
    const ff = hp.nFf;
    const ops: Op[] = [];
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
      const k = (specs[0] as LinearSpec).cols;
      if (specs.some((s) => K.quantizesInput(s))) ops.push(K.quantize(x, L.xq, m, k));
      for (const s of specs) {
        const input = K.quantizesInput(s) ? L.xq : x;
        const b = bias !== undefined ? bias + 4 * s.outColumn : undefined;
        ops.push(K.matmul(s, input, L.weight(s.name), y + 4 * s.outColumn, m, ldy, acc, b));
      }
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
      ops.push(K.rope(L.qkv, ldqkv, L.rowInfo, L.ropeTable, T));
      const kPool = L.kvPools[2 * l] as number;
      const vPool = L.kvPools[2 * l + 1] as number;
      ops.push(K.kvWrite(L.qkv, ldqkv, L.rowInfo, L.blockTable, kPool, vPool, T));
      ops.push(K.attention(L.qkv, ldqkv, L.rowInfo, L.blockTable, kPool, vPool, L.attn, T));
      linear([layer.attnOutput], L.attn, T, L.x, e, true);
      ops.push(K.rmsNorm(L.x, L.vector(layer.ffnNorm.name), L.h, T));
      linear(layer.gateUp, L.h, T, L.gateUp, 2 * ff, false);
      ops.push(K.siluMul(L.gateUp, L.act, T));
      linear([layer.down], L.act, T, L.x, e, true);
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
    return ops;
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
