// One ByteSource that looks like a single GGUF file for a model split into parts: a fresh
// header (the first part's metadata without the `split.*` keys, every part's tensors in
// order) followed by a virtual data section whose reads are forwarded to the parts. Callers
// that take one ByteSource (the engine's loader) thereby load split models unchanged, and
// no tensor data is copied.

import type { ByteSource, GgufValue } from '../gguf/types.ts';
import { layoutGguf } from '../gguf/write.ts';
import type { ModelTensor } from './split-gguf.ts';

/** A single-file view of a split model. */
export function mergedSplitSource(
  model: {
    metadata: ReadonlyMap<string, GgufValue>;
    tensors: readonly ModelTensor[];
  },
  parts: readonly ByteSource[],
  name = parts[0]?.name ?? 'split model',
): ByteSource {
  const metadata = [...model.metadata].filter(([k]) => !k.startsWith('split.'));
  const alignment = model.metadata.get('general.alignment');
  const layout = layoutGguf(
    metadata,
    model.tensors.map((t) => ({ name: t.name, type: t.type, dims: t.dims })),
    alignment?.type === 'u32' ? { alignment: alignment.value } : {},
  );
  // Virtual segments in file order: [start, end) → (part, part offset); gaps read as zeros.
  const segments = model.tensors.map((t, i) => ({
    start: layout.tensorOffsets[i] as number,
    end: (layout.tensorOffsets[i] as number) + t.bytes,
    part: t.part,
    offset: t.offset,
  }));
  return {
    size: layout.totalSize,
    name,
    async read(offset, length) {
      const out = new Uint8Array(length);
      const end = offset + length;
      if (offset < layout.header.length)
        out.set(layout.header.subarray(offset, Math.min(end, layout.header.length)), 0);
      // Binary search for the first segment that ends after `offset`.
      let lo = 0;
      let hi = segments.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((segments[mid] as (typeof segments)[number]).end <= offset) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < segments.length; i++) {
        const s = segments[i] as (typeof segments)[number];
        if (s.start >= end) break;
        const a = Math.max(offset, s.start);
        const b = Math.min(end, s.end);
        const bytes = await (parts[s.part] as ByteSource).read(s.offset + (a - s.start), b - a);
        out.set(bytes, a - offset);
      }
      return out;
    },
    async close() {
      for (const p of parts) await p.close?.();
    },
  };
}
