// Opens a model from whatever the caller has (ModelSource: a URL, a File/Blob, a Node path,
// or split parts), reading only headers up front. With a cache, URLs are checked (header
// only, through Range requests) before anything large is downloaded, then downloaded whole
// into the cache with progress and optional SHA-256, and read from the cache from then on:
// a second open of the same URL makes no network request. Tensor data is then streamed
// chunk by chunk (`tensorChunks`) for upload to the GPU.

import { RuminateError } from '@ruminate/errors';
import type { LoadProgress, ModelSource } from '../engine/types.ts';
import { parseGguf } from '../gguf/parse.ts';
import type { ByteSource, GgufHeader } from '../gguf/types.ts';
import { blobSource, openFileSource } from './file-source.ts';
import { openHttpSource } from './http-source.ts';
import type { ModelCache } from './model-cache.ts';
import { type ModelTensor, mergeSplitHeaders, splitPartNames } from './split-gguf.ts';
import { type TensorChunk, type TensorChunkOptions, tensorChunks } from './tensor-stream.ts';

/** Options for `openModel`. */
export interface OpenModelOptions {
  /** Where downloaded files are kept; without one, URLs are read with Range requests on demand. */
  cache?: ModelCache;
  /** Download progress (phase 'download', bytes over all parts). */
  onProgress?: (p: LoadProgress) => void;
  /** Cancels header reads and downloads. */
  signal?: AbortSignal;
  /** fetch implementation for URLs (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Called with the model's header before any tensor data is downloaded; throw to stop (e.g. the fit check). */
  checkHeader?: (model: { metadata: GgufHeader['metadata']; tensors: ModelTensor[] }) => void;
  /** Bytes per read while parsing headers (default 1 MiB: one or a few requests for most models). */
  headerChunkBytes?: number;
}

/** A model whose headers are read and whose tensor data can be streamed. */
export interface OpenedModel {
  /** Model metadata (the first part's, for split models). */
  metadata: GgufHeader['metadata'];
  /** Every tensor, with the part holding it. */
  tensors: ModelTensor[];
  /** The files and their headers. */
  parts: { source: ByteSource; header: GgufHeader }[];
  /** Whether every part was read from the cache without network requests. */
  fromCache: boolean;
  /** Streams a tensor's bytes in bounded, 4-byte-aligned chunks. */
  tensorChunks(tensor: ModelTensor, options?: TensorChunkOptions): AsyncGenerator<TensorChunk>;
  /** A tensor's bytes in one buffer (small tensors, tests). */
  readTensor(tensor: ModelTensor): Promise<Uint8Array>;
  /** Releases file handles. */
  close(): Promise<void>;
}

type PartSpec =
  | { kind: 'url'; url: string; sha256?: string }
  | { kind: 'path'; path: string }
  | { kind: 'blob'; blob: Blob };

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

function specOf(s: string | URL | Blob, sha256?: string): PartSpec {
  if (typeof Blob !== 'undefined' && s instanceof Blob) return { kind: 'blob', blob: s };
  const str = String(s);
  if (s instanceof URL || /^(https?|blob|data):/i.test(str) || !isNode) {
    return sha256 === undefined ? { kind: 'url', url: str } : { kind: 'url', url: str, sha256 };
  }
  return { kind: 'path', path: str };
}

/** The files a ModelSource names, expanding `-00001-of-0000N.gguf` to every part. */
export function resolveParts(source: ModelSource): PartSpec[] {
  let parts: PartSpec[];
  if (
    typeof source === 'string' ||
    source instanceof URL ||
    (typeof Blob !== 'undefined' && source instanceof Blob)
  ) {
    parts = [specOf(source)];
  } else if ('parts' in source) {
    return source.parts.map((p) => specOf(p));
  } else if ('path' in source) {
    parts = [{ kind: 'path', path: source.path }];
  } else if ('url' in source) {
    parts = [specOf(source.url, source.sha256)];
  } else {
    throw new RuminateError(
      'invalid-argument',
      'Unrecognised model source; pass a URL, a File/Blob, { path } or { parts }.',
      {
        field: 'source',
      },
    );
  }
  const only = parts[0];
  if (parts.length === 1 && only && only.kind !== 'blob') {
    const names = splitPartNames(only.kind === 'url' ? only.url : only.path);
    if (names)
      return names.map((n) => (only.kind === 'url' ? { kind: 'url', url: n } : { kind: 'path', path: n }));
  }
  return parts;
}

async function openPart(spec: PartSpec, options: OpenModelOptions): Promise<ByteSource> {
  switch (spec.kind) {
    case 'path':
      return openFileSource(spec.path);
    case 'blob':
      return blobSource(spec.blob);
    case 'url':
      return openHttpSource(
        spec.url,
        options.fetch
          ? { fetch: options.fetch, ...(options.signal ? { signal: options.signal } : {}) }
          : options.signal
            ? { signal: options.signal }
            : {},
      );
  }
}

/** Opens `source`, reading headers only; see the module comment for caching and checks. */
export async function openModel(source: ModelSource, options: OpenModelOptions = {}): Promise<OpenedModel> {
  const specs = resolveParts(source);
  const cache = options.cache;
  const opened: ByteSource[] = [];
  const close = async () => {
    for (const s of opened) await s.close?.();
  };
  try {
    // 1. Cache hits need no network at all.
    const cached = cache
      ? await Promise.all(
          specs.map((s) => (s.kind === 'url' ? cache.get(s.url) : Promise.resolve(undefined))),
        )
      : [];
    const sources: ByteSource[] = [];
    for (const [i, spec] of specs.entries()) {
      const hit = cached[i];
      const src = hit ? hit.source : await openPart(spec, options);
      opened.push(src);
      sources.push(src);
    }
    const chunk = options.headerChunkBytes === undefined ? {} : { chunkBytes: options.headerChunkBytes };
    let parts = await Promise.all(
      sources.map(async (s) => ({ source: s, header: await parseGguf(s, chunk) })),
    );
    let merged = mergeSplitHeaders(parts);
    options.checkHeader?.(merged);

    // 2. Download what the cache lacks, then read it from the cache.
    const fromCache = specs.every((s, i) => s.kind !== 'url' || cached[i] !== undefined);
    if (cache && !fromCache) {
      const total = specs.reduce(
        (a, s, i) => a + (s.kind === 'url' && !cached[i] ? (sources[i] as ByteSource).size : 0),
        0,
      );
      let done = 0;
      options.onProgress?.({ phase: 'download', done, total });
      for (const [i, spec] of specs.entries()) {
        if (spec.kind !== 'url' || cached[i]) continue;
        const remote = sources[i] as ByteSource;
        const chunks = async function* () {
          const stream = remote.stream?.(0, remote.size);
          if (!stream) throw new RuminateError('internal', 'HTTP source without stream()');
          for await (const c of stream) {
            options.signal?.throwIfAborted();
            done += c.length;
            options.onProgress?.({ phase: 'download', done, total });
            yield c;
          }
        };
        const stored = await cache.put(spec.url, chunks(), {
          size: remote.size,
          ...(spec.sha256 !== undefined ? { sha256: spec.sha256 } : {}),
        });
        opened.push(stored.source);
        sources[i] = stored.source;
      }
      parts = await Promise.all(sources.map(async (s) => ({ source: s, header: await parseGguf(s, chunk) })));
      merged = mergeSplitHeaders(parts);
    }
    return {
      ...merged,
      parts,
      fromCache: cache !== undefined && fromCache,
      tensorChunks: (t, o) => tensorChunks((parts[t.part] as (typeof parts)[number]).source, t, o),
      readTensor: (t) => (parts[t.part] as (typeof parts)[number]).source.read(t.offset, t.bytes),
      close,
    };
  } catch (e) {
    await close();
    if (options.signal?.aborted && !(e instanceof RuminateError)) {
      throw new RuminateError('aborted', 'Model loading was aborted.', { cause: e });
    }
    throw e;
  }
}
