// Paged KV cache: the write of new K/V rows and causal GQA attention over it.
export { emitKvWrite, type KvWriteSpec } from './kv-write.ts';
export { emitPagedAttention, type PagedAttentionSpec } from './paged-attention.ts';
export { PAGE_TOKENS } from './paged-kv.ts';
