// Streams one tensor's bytes in bounded chunks, so the runtime can copy weights into GPU
// buffers (`queue.writeBuffer(buffer, at, chunk)`) without holding a second full copy of the
// model in JS memory. Chunk boundaries fall on multiples of 4 bytes (writeBuffer's rule);
// with `padTo4` the last chunk is zero-padded to a multiple of 4 too.

import type { ByteSource, GgufTensorInfo } from '../gguf/types.ts';

/** One piece of a tensor: `bytes` belongs at byte `at` of the tensor. */
export interface TensorChunk {
  /** Offset within the tensor. */
  at: number;
  /** The bytes (a fresh buffer or a view the caller may consume before the next chunk). */
  bytes: Uint8Array;
}

/** Options for `tensorChunks`. */
export interface TensorChunkOptions {
  /** Largest chunk (default 8 MiB; rounded down to a multiple of 4). */
  chunkBytes?: number;
  /** Zero-pad the final chunk to a multiple of 4 bytes (default true). */
  padTo4?: boolean;
  /** Stops the stream between chunks. */
  signal?: AbortSignal;
}

/** Yields `tensor`'s bytes from `source` in order, at most `chunkBytes` at a time. */
export async function* tensorChunks(
  source: ByteSource,
  tensor: Pick<GgufTensorInfo, 'offset' | 'bytes'>,
  options: TensorChunkOptions = {},
): AsyncGenerator<TensorChunk> {
  const chunk = Math.max(4, Math.floor((options.chunkBytes ?? 8 << 20) / 4) * 4);
  const pad = options.padTo4 ?? true;
  let at = 0;
  const pieces = source.stream
    ? source.stream(tensor.offset, tensor.bytes)
    : (async function* () {
        for (let o = 0; o < tensor.bytes; o += chunk)
          yield await source.read(tensor.offset + o, Math.min(chunk, tensor.bytes - o));
      })();
  let carry = new Uint8Array(0);
  for await (const piece of pieces) {
    options.signal?.throwIfAborted();
    // Re-cut the source's pieces into ≤ chunk-byte, 4-byte-aligned chunks.
    let data = piece;
    if (carry.length > 0) {
      data = new Uint8Array(carry.length + piece.length);
      data.set(carry, 0);
      data.set(piece, carry.length);
    }
    let o = 0;
    while (data.length - o >= chunk) {
      yield { at, bytes: data.subarray(o, o + chunk) };
      at += chunk;
      o += chunk;
    }
    const whole = Math.floor((data.length - o) / 4) * 4;
    if (whole > 0) {
      yield { at, bytes: data.subarray(o, o + whole) };
      at += whole;
      o += whole;
    }
    carry = data.slice(o);
  }
  if (carry.length > 0) {
    options.signal?.throwIfAborted();
    const bytes = pad ? new Uint8Array(Math.ceil(carry.length / 4) * 4) : carry;
    bytes.set(carry, 0);
    yield { at, bytes };
  }
}
