// y = x·Wᵀ (+ b) for a weight that may be split by rows into several bindings: each part's
// matmul writes a `[m][partRows]` block which is then copied into its columns of y.
import type { BufferSlice, MatmulOp } from '@ruminate/gpu';
import type { GpuTensor } from './gpu-weights.ts';

/** Scratch a split linear writes its parts into before scattering them. */
export interface LinearScratch {
  /** At least m × (largest part rows) f32. */
  buffer: GPUBuffer;
}

/** Records y[m][n] = x[m][k]·Wᵀ (+ bias); `y` is a slice of m·n f32. */
export function encodeLinear(
  enc: GPUCommandEncoder,
  matmul: MatmulOp,
  args: {
    x: BufferSlice;
    w: GpuTensor;
    y: BufferSlice;
    m: number;
    bias?: BufferSlice;
    scratch?: LinearScratch;
    /** x is unchanged since the previous linear on this encoder (MatmulArgs.sameX). */
    sameX?: boolean;
  },
): void {
  const { x, w, y, m } = args;
  const parts = w.parts;
  const first = parts[0];
  const sameX = args.sameX === true;
  if (parts.length === 1 && first) {
    matmul.encode(enc, { x, w: first, y, m, sameX, ...(args.bias ? { bias: args.bias } : {}) });
    return;
  }
  const n = parts.reduce((s, p) => s + p.rows, 0);
  const scratch = args.scratch;
  if (!scratch) throw new Error('encodeLinear: a split weight needs scratch');
  for (const [i, p] of parts.entries()) {
    const bias = args.bias
      ? { buffer: args.bias.buffer, offset: args.bias.offset + p.rowStart * 4, size: p.rows * 4 }
      : undefined;
    // A bias slice offset must be 256-aligned to bind; add it only when it is, else skip (no split model has biases on split weights).
    const tmp = { buffer: scratch.buffer, offset: 0, size: m * p.rows * 4 };
    matmul.encode(enc, {
      x,
      w: p,
      y: tmp,
      m,
      sameX: sameX || i > 0,
      ...(bias && bias.offset % 256 === 0 ? { bias } : {}),
    });
    for (let r = 0; r < m; r++) {
      enc.copyBufferToBuffer(
        scratch.buffer,
        r * p.rows * 4,
        y.buffer,
        y.offset + (r * n + p.rowStart) * 4,
        p.rows * 4,
      );
    }
  }
}
