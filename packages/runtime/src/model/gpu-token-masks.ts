// The GPU model's constrained rows: the grammar masks of a pass's sampled rows, awaited only
// after the forward pass has been submitted (so the worker computes them while the GPU runs the
// layers), uploaded as one `[rows][words]` buffer and applied to the logits by TokenMaskOp
// before the sampler. Unconstrained rows in the same pass get all-ones words.
import { type BufferSlice, type KernelContext, TokenMaskOp, tokenMaskWords } from '@ruminate/gpu';
import { allowedCount, rescaleSelfCertainty } from '../sampling/token-mask.ts';
import type { RowSampling, SampledToken } from './backend.ts';

/** Masks for the sampled rows of one pass, or undefined when no row is constrained. */
export interface PassMasks {
  /** Allowed tokens per sampled row (vocab for unconstrained rows). */
  allowed: number[];
}

/** Owns the mask buffer and op of one GPU model. */
export class GpuTokenMasks {
  private op: Promise<TokenMaskOp> | undefined;
  private buffer: GPUBuffer | undefined;

  constructor(
    private readonly ctx: KernelContext,
    private readonly vocab: number,
  ) {}

  /** True when a row of `sample` is constrained. */
  static needed(sample: readonly RowSampling[]): boolean {
    return sample.some((s) => s.allowed !== undefined);
  }

  /** Awaits the rows' masks, uploads them and records the masking of `logits` (rows in `sample` order). */
  async encode(
    enc: GPUCommandEncoder,
    logits: BufferSlice,
    sample: readonly RowSampling[],
  ): Promise<PassMasks> {
    this.op ??= TokenMaskOp.prepare(this.ctx);
    const op = await this.op;
    const words = tokenMaskWords(this.vocab);
    const data = new Uint32Array(sample.length * words).fill(0xffffffff);
    const allowed: number[] = [];
    for (let i = 0; i < sample.length; i++) {
      const pending = sample[i]?.allowed;
      const mask = pending ? await pending() : undefined;
      if (mask) data.set(mask.subarray(0, words), i * words);
      allowed.push(mask ? allowedCount(mask, this.vocab) : this.vocab);
    }
    if (!this.buffer || this.buffer.size < data.byteLength) {
      this.buffer?.destroy();
      this.buffer = this.ctx.device.createBuffer({
        label: 'tokenMasks',
        size: Math.max(256, data.byteLength * 2),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
    }
    this.ctx.device.queue.writeBuffer(this.buffer, 0, data);
    op.encode(enc, {
      logits,
      mask: { buffer: this.buffer, offset: 0, size: data.byteLength },
      rows: sample.length,
      vocab: this.vocab,
    });
    return { allowed };
  }

  /** Statistics of masked rows made over the allowed set (see `rescaleSelfCertainty`). */
  finish(rows: SampledToken[], masks: PassMasks, logZ: readonly number[]): SampledToken[] {
    return rows.map((r, i) =>
      rescaleSelfCertainty(r, this.vocab, masks.allowed[i] ?? this.vocab, logZ[i] ?? 0),
    );
  }

  /** Frees the buffer and the op's uniforms. */
  async destroy(): Promise<void> {
    this.buffer?.destroy();
    (await this.op)?.destroy();
  }
}
