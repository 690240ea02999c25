// Where transformers.js should load a model from, given the Engine contract's ModelSource.
import { RuminateError } from '@ruminate/errors';
import type { ModelSource } from '@ruminate/runtime';

/** What `from_pretrained` gets: the id or path, and whether the library may go to the network for it. */
export interface ResolvedSource {
  /** A folder path, a same-origin path, a full URL, or a Hub id. */
  id: string;
  /** True when the id is a Hub id or a cross-origin URL (needs `allowRemoteModels`). */
  remote: boolean;
}

/** Resolves a model folder source; `allowRemote` permits Hub ids and other origins. */
export function resolveModelSource(source: ModelSource, allowRemote: boolean): ResolvedSource {
  const given = typeof source === 'string' ? source : source instanceof URL ? source.href : undefined;
  const path = typeof source === 'object' && source !== null && 'path' in source ? source.path : undefined;
  const raw = given ?? path;
  if (raw === undefined) {
    throw new RuminateError(
      'engine-unsupported',
      'transformers.js loads a model folder by URL, path or Hub id; a Blob or a list of parts is not supported. Serve the folder (config.json, tokenizer.json, onnx/model.onnx) and pass its URL.',
      { field: 'source' },
    );
  }
  const id = raw.replace(/\/+$/, '');
  let resolved: ResolvedSource;
  if (/^https?:\/\//.test(id)) {
    const here = typeof location === 'undefined' ? undefined : location.origin;
    const url = new URL(id);
    resolved = url.origin === here ? { id: url.pathname, remote: false } : { id, remote: true };
  } else if (id.startsWith('/') || id.startsWith('.') || path !== undefined) {
    resolved = { id, remote: false };
  } else {
    resolved = { id, remote: true };
  }
  if (resolved.remote && !allowRemote) {
    throw new RuminateError(
      'fetch-failed',
      `"${raw}" is a Hugging Face Hub id or another origin's URL, and remote models are off. Pass allowRemoteModels: true to transformersEngine(), or give a local or same-origin folder.`,
      { field: 'source' },
    );
  }
  return resolved;
}
