// ByteSources over a Node file path and over a browser File/Blob. Reads are positional, so
// files over 2 GB (and 4 GB) work: offsets are JS numbers, exact up to 2^53.

import { RuminateError } from '@ruminate/errors';
import type { ByteSource } from '../gguf/types.ts';

/** Default chunk for streamed reads (8 MiB). */
export const STREAM_CHUNK_BYTES = 8 << 20;

/** Opens a file on disk (Node) as a ByteSource; call `close()` when done. */
export async function openFileSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  const { open } = await import('node:fs/promises');
  const handle = await open(path, 'r').catch((e: unknown) => {
    throw new RuminateError('fetch-failed', `Cannot open model file ${path}: ${String(e)}. Check the path.`, {
      cause: e,
    });
  });
  const { size } = await handle.stat();
  const read = async (offset: number, length: number): Promise<Uint8Array> => {
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) {
        throw new RuminateError(
          'fetch-failed',
          `${path} ended at byte ${offset + done}; it was truncated while open.`,
        );
      }
      done += bytesRead;
    }
    return buf;
  };
  return {
    size,
    name: path,
    read,
    async *stream(offset: number, length: number) {
      for (let o = 0; o < length; o += STREAM_CHUNK_BYTES)
        yield await read(offset + o, Math.min(STREAM_CHUNK_BYTES, length - o));
    },
    close: () => handle.close(),
  };
}

/** A File or Blob (drag and drop, OPFS, Cache API bodies) as a ByteSource; slices are read lazily. */
export function blobSource(blob: Blob, name = blob instanceof File ? blob.name : 'blob'): ByteSource {
  const read = async (offset: number, length: number) =>
    new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
  return {
    size: blob.size,
    name,
    read,
    async *stream(offset: number, length: number) {
      for (let o = 0; o < length; o += STREAM_CHUNK_BYTES)
        yield await read(offset + o, Math.min(STREAM_CHUNK_BYTES, length - o));
    },
  };
}
