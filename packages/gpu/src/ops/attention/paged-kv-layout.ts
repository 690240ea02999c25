// The paged KV-cache layout the attention ops read and write (agreed with the runtime).
//
// Per layer, a K pool and a V pool: f32 storage buffers `[numPages][PAGE_TOKENS][nKvHeads][headDim]`
// — token t of physical page p, kv head h, dim d at element ((p·PAGE_TOKENS + t)·nKvHeads + h)·headDim + d.
// A block table `u32 [numSlots][maxPagesPerSeq]` maps a sequence slot's logical page
// (position / PAGE_TOKENS) to a physical page. Each query row carries `(slot, position)` in a
// row-info buffer `u32 [rows][2]`; a batch may mix decode rows of many sequences and prefill
// chunks. This is vLLM's PagedAttention layout (Kwon et al., SOSP 2023) with 16-token pages.

/** Tokens per KV page. */
export const PAGE_TOKENS = 16;

/** Bytes of one layer's K (or V) pool. */
export function kvPoolBytes(numPages: number, nKvHeads: number, headDim: number): number {
  return numPages * PAGE_TOKENS * nKvHeads * headDim * 4;
}

/** Element index of (page, token in page, kv head, dim) in a pool. */
export function kvPoolIndex(
  page: number,
  token: number,
  head: number,
  dim: number,
  nKvHeads: number,
  headDim: number,
): number {
  return ((page * PAGE_TOKENS + token) * nKvHeads + head) * headDim + dim;
}
