// The engine's source opener: any ModelSource → one ByteSource, through `openModel`
// (URL range reads, download into a cache with progress and SHA-256, split parts merged
// into one virtual file). Plug it in as `RuminateEngineOptions.openSource`.

import type { LoadOptions, ModelSource } from '../engine/types.ts';
import type { ByteSource } from '../gguf/types.ts';
import { mergedSplitSource } from './merged-source.ts';
import type { ModelCache } from './model-cache.ts';
import { type OpenModelOptions, openModel } from './open-model.ts';

/** Options fixed for every load through the opener. */
export interface SourceOpenerOptions {
  /** Cache for downloaded URLs (e.g. `new OpfsModelCache()` in a page, `DirectoryModelCache` in Node). */
  cache?: ModelCache;
  /** Header check before any download (e.g. `checkModelFit` against the device). */
  checkHeader?: OpenModelOptions['checkHeader'];
  /** fetch implementation. */
  fetch?: typeof fetch;
}

/** Builds `(source, loadOptions) => ByteSource` for the engine. */
export function createSourceOpener(
  options: SourceOpenerOptions = {},
): (source: ModelSource, load: LoadOptions) => Promise<ByteSource> {
  return async (source, load) => {
    const m = await openModel(source, {
      ...options,
      ...(load.onProgress ? { onProgress: load.onProgress } : {}),
      ...(load.signal ? { signal: load.signal } : {}),
    });
    const only = m.parts[0];
    if (m.parts.length === 1 && only) return only.source;
    return mergedSplitSource(
      m,
      m.parts.map((p) => p.source),
    );
  };
}
