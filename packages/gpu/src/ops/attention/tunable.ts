// What the tuner drives for paged attention: decode over many sequences with long contexts
// (the benchmark shape is 16 sequences at 1k context), on pools this object owns.
import type { Tunable } from '../../tuner/tunable.ts';
import type { KernelConfig, KernelContext } from '../context.ts';
import { pseudoRandom } from '../shared/pseudo-random.ts';
import { defaultIndex } from '../shared/tuning-space.ts';
import { PagedAttentionOp, pagedAttentionTuningSpace } from './paged-attention.ts';
import { PAGE_TOKENS } from './paged-kv-layout.ts';

/** A decode attention problem: `sequences` rows, each at position `context − 1`. */
export interface AttentionDecodeShape {
  /** Sequences (one query row each). */
  sequences: number;
  /** Keys each row attends to. */
  context: number;
  /** Query heads. */
  nHeads: number;
  /** KV heads. */
  nKvHeads: number;
  /** Values per head. */
  headDim: number;
}

function buffer(device: GPUDevice, label: string, data: ArrayBufferView | number): GPUBuffer {
  const size = typeof data === 'number' ? data : Math.ceil(data.byteLength / 4) * 4;
  const b = device.createBuffer({
    label,
    size,
    usage: GPUBufferUsage.STORAGE,
    mappedAtCreation: typeof data !== 'number',
  });
  if (typeof data !== 'number') {
    new Uint8Array(b.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    b.unmap();
  }
  return b;
}

/**
 * Paged decode attention on one shape as a Tunable (op `attention/paged`, bucket
 * `g{group}-d{headDim}`, the bucket PagedAttentionOp looks winners up under). Sequences own
 * interleaved pages, so reads are scattered as in a real cache. `dispose` frees the buffers.
 */
export function attentionDecodeTunable(ctx: KernelContext, shape: AttentionDecodeShape): Tunable {
  const { sequences, context, nHeads, nKvHeads, headDim } = shape;
  const device = ctx.device;
  const pagesPerSeq = Math.ceil(context / PAGE_TOKENS);
  const numPages = sequences * pagesPerSeq;
  const blockTable = new Uint32Array(numPages);
  for (let s = 0; s < sequences; s++)
    for (let p = 0; p < pagesPerSeq; p++) blockTable[s * pagesPerSeq + p] = p * sequences + s;
  const rowInfo = new Uint32Array(sequences * 2);
  for (let s = 0; s < sequences; s++) {
    rowInfo[2 * s] = s;
    rowInfo[2 * s + 1] = context - 1;
  }
  const poolFloats = numPages * PAGE_TOKENS * nKvHeads * headDim;
  const kPool = buffer(device, 'tune/attention k', pseudoRandom(poolFloats, 3));
  const vPool = buffer(device, 'tune/attention v', pseudoRandom(poolFloats, 5));
  const bt = buffer(device, 'tune/attention table', blockTable);
  const ri = buffer(device, 'tune/attention rows', rowInfo);
  const q = buffer(device, 'tune/attention q', pseudoRandom(sequences * nHeads * headDim, 7));
  const out = buffer(device, 'tune/attention out', sequences * nHeads * headDim * 4);
  const ops = new Map<string, PagedAttentionOp>();
  const key = (c: KernelConfig) => JSON.stringify(c.constants);
  const space = pagedAttentionTuningSpace;
  return {
    op: space.op,
    bucket: `g${nHeads / nKvHeads}-d${headDim}`,
    candidates: space.candidates.map((c) => ({ constants: { ...c } })),
    defaultIndex: defaultIndex(space, ctx),
    async prepare(config) {
      if (ops.has(key(config))) return;
      const op = await PagedAttentionOp.prepare(ctx, {
        nHeads,
        nKvHeads,
        headDim,
        maxPagesPerSeq: pagesPerSeq,
        config: config.constants,
      });
      ops.set(key(config), op);
    },
    encode(encoder, config) {
      const op = ops.get(key(config));
      if (!op) throw new Error('attentionDecodeTunable: encode before prepare');
      op.encode(encoder, {
        q,
        out,
        kPool,
        vPool,
        blockTable: bt,
        rowInfo: ri,
        decode: { start: 0, count: sequences },
        maxKeys: context,
      });
    },
    work: {
      flops: 4 * sequences * context * nHeads * headDim,
      bytes: 2 * sequences * context * nKvHeads * headDim * 4,
    },
    dispose() {
      for (const b of [kPool, vPool, bt, ri, q, out]) b.destroy();
      for (const op of ops.values()) op.destroy();
    },
  };
}
