import type { GgmlTypeName } from './quant/ggml-types.ts';

/** A byte range of a GPU buffer that a kernel binds (offset aligned to minStorageBufferOffsetAlignment). */
export interface BufferSlice {
  /** The storage buffer. */
  buffer: GPUBuffer;
  /** Byte offset of the first element. */
  offset: number;
  /** Byte length of the range. */
  size: number;
}

/** A weight matrix resident on the GPU in its GGUF layout (rows of `cols` values, row-major). */
export interface WeightMatrix extends BufferSlice {
  /** Element type as stored (quantized types stay quantized in GPU memory). */
  dtype: GgmlTypeName;
  /** Output features (GGUF ne[1]). */
  rows: number;
  /** Input features (GGUF ne[0]); a multiple of the type's block size. */
  cols: number;
}
