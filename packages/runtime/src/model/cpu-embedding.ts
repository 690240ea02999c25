// Token embeddings looked up on the CPU, as llama.cpp does for GPU offload (token_embd stays in
// host memory): the table is kept in its stored (usually quantized) form, and only the rows a
// pass needs are dequantized and uploaded with one writeBuffer. An untied model then needs no GPU
// copy of the table at all.
import { RuminateError } from '@ruminate/errors';
import { dequantize, ggmlRowBytes } from '@ruminate/gpu';
import type { ByteSource, GgufTensorInfo } from '../gguf/types.ts';

/** Rows of token_embd.weight, dequantized on demand from its stored bytes. */
export class CpuEmbedding {
  private readonly rowBytes: number;
  private readonly cache = new Map<number, Float32Array>();

  private constructor(
    private readonly info: GgufTensorInfo,
    private readonly bytes: Uint8Array,
  ) {
    this.rowBytes = ggmlRowBytes(info.type, info.dims[0] ?? 1);
  }

  /** Reads the table's bytes from the file. */
  static async read(info: GgufTensorInfo, source: ByteSource): Promise<CpuEmbedding> {
    return new CpuEmbedding(info, await source.read(info.offset, info.bytes));
  }

  /** Row width. */
  get dim(): number {
    return this.info.dims[0] ?? 1;
  }

  /** Rows in the table. */
  get rows(): number {
    return this.info.dims[1] ?? 1;
  }

  /** Bytes held. */
  get byteLength(): number {
    return this.bytes.byteLength;
  }

  /** Writes the embedding rows of `tokens` into `out` (tokens × dim f32). */
  gather(tokens: readonly number[], out: Float32Array): void {
    const dim = this.dim;
    tokens.forEach((t, i) => {
      out.set(this.row(t), i * dim);
    });
  }

  private row(token: number): Float32Array {
    let r = this.cache.get(token);
    if (r) return r;
    if (!(Number.isInteger(token) && token >= 0 && token < this.rows)) {
      throw new RuminateError(
        'invalid-argument',
        `Token id ${token} is outside the vocabulary (0..${this.rows - 1}).`,
      );
    }
    const o = token * this.rowBytes;
    r = dequantize(this.info.type.name, this.bytes.subarray(o, o + this.rowBytes), this.dim);
    // Recently used rows stay decoded (bounded: a few thousand rows).
    if (this.cache.size >= 4096) this.cache.delete(this.cache.keys().next().value as number);
    this.cache.set(token, r);
    return r;
  }
}
