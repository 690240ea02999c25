// The two byte sources the engine can open by itself: a Blob/File (drag and drop) and, in Node,
// a file path. URLs (range requests, resume, cache) belong to the loading module; pass its
// opener as `RuminateEngineOptions.openSource`.
import { RuminateError } from '@ruminate/gpu';
import type { ByteSource } from '../gguf/types.ts';
import type { ModelSource } from './types.ts';

/** Random access into a Blob through `slice`. */
export function blobSource(blob: Blob, name = (blob as File).name ?? 'blob'): ByteSource {
  return {
    size: blob.size,
    name,
    async read(offset, length) {
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/** Random access into a local file (Node). */
export async function nodeFileSource(path: string): Promise<ByteSource> {
  const fs = await import('node:fs/promises');
  const handle = await fs.open(path, 'r').catch((cause: unknown) => {
    throw new RuminateError('fetch-failed', `Cannot open ${path}: ${String(cause)}. Check the path.`, {
      cause,
    });
  });
  const { size } = await handle.stat();
  return {
    size,
    name: path,
    async read(offset, length) {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0)
          throw new RuminateError('gguf-invalid', `${path} ended early at byte ${offset + done}.`);
        done += bytesRead;
      }
      return out;
    },
    async close() {
      await handle.close();
    },
  };
}

/** Opens a Blob, or (in Node) a path; other sources need the loading module's opener. */
export async function openBasicSource(source: ModelSource): Promise<ByteSource> {
  if (typeof Blob !== 'undefined' && source instanceof Blob) return blobSource(source);
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (typeof source === 'object' && 'path' in source) return nodeFileSource(source.path);
  if (typeof source === 'string' && isNode && !/^[a-z]+:\/\//i.test(source)) return nodeFileSource(source);
  throw new RuminateError(
    'invalid-argument',
    'This engine opens Blobs and Node file paths; for URLs and split files pass the loading module’s opener as ' +
      'RuminateEngineOptions.openSource.',
    { field: 'source' },
  );
}
