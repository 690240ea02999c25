// Split GGUF models (llama.cpp's gguf-split): parts named `<stem>-00001-of-0000N.gguf`, each
// a complete GGUF file whose metadata carries `split.no` (0-based), `split.count` and, in
// the first part, `split.tensors.count` plus all model metadata (key names from llama.cpp
// src/llama-arch.cpp LLM_KV_SPLIT_*). The model is the first part's metadata with every
// part's tensors.

import { RuminateError } from '@ruminate/errors';
import { metaNumber, metaOptionalNumber } from '../gguf/metadata.ts';
import type { ByteSource, GgufHeader, GgufTensorInfo } from '../gguf/types.ts';

const SPLIT_NAME = /-(\d{5})-of-(\d{5})\.gguf$/;

/** Every part's name when `name` (path or URL) is a split part, else undefined. */
export function splitPartNames(name: string): string[] | undefined {
  const m = name.match(SPLIT_NAME);
  if (!m) return undefined;
  const count = Number(m[2]);
  if (count < 1) return undefined;
  const stem = name.slice(0, m.index);
  return Array.from({ length: count }, (_, i) => `${stem}-${String(i + 1).padStart(5, '0')}-of-${m[2]}.gguf`);
}

/** A tensor of a possibly split model: where it lives (`part`) and its layout there. */
export interface ModelTensor extends GgufTensorInfo {
  /** Index of the part (file) holding the data. */
  part: number;
}

/** Merges the parts' headers into one model: the first part's metadata, all parts' tensors. */
export function mergeSplitHeaders(parts: { source: ByteSource; header: GgufHeader }[]): {
  metadata: GgufHeader['metadata'];
  tensors: ModelTensor[];
} {
  const first = parts[0];
  if (!first)
    throw new RuminateError('invalid-argument', 'A model needs at least one file.', { field: 'source' });
  const count = metaOptionalNumber(first.header.metadata, 'split.count') ?? 1;
  const name = (i: number) => parts[i]?.source.name ?? `part ${i + 1}`;
  if (count !== parts.length) {
    throw new RuminateError(
      'gguf-invalid',
      `${name(0)} says the model is split into ${count} files, but ${parts.length} were given. Provide every part (…-00001-of-${String(count).padStart(5, '0')}.gguf onwards).`,
    );
  }
  const tensors: ModelTensor[] = [];
  const seen = new Set<string>();
  parts.forEach((p, i) => {
    const no = count > 1 ? metaNumber(p.header.metadata, 'split.no') : 0;
    if (no !== i) {
      throw new RuminateError(
        'gguf-invalid',
        `${name(i)} is split part ${no + 1}, expected part ${i + 1}. Pass the parts in order.`,
      );
    }
    for (const t of p.header.tensors) {
      if (seen.has(t.name)) {
        throw new RuminateError(
          'gguf-invalid',
          `Tensor '${t.name}' appears in more than one split part (again in ${name(i)}).`,
        );
      }
      seen.add(t.name);
      tensors.push({ ...t, part: i });
    }
  });
  const expected = metaOptionalNumber(first.header.metadata, 'split.tensors.count');
  if (expected !== undefined && expected !== tensors.length) {
    throw new RuminateError(
      'gguf-invalid',
      `The split model declares ${expected} tensors but its ${parts.length} parts hold ${tensors.length}. A part is missing or from another model.`,
    );
  }
  return { metadata: first.header.metadata, tensors };
}
