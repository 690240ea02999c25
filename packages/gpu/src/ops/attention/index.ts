export {
  type KvWriteArgs,
  KvWriteOp,
  type KvWriteOptions,
  type KvWriteShape,
  kvWriteTuningSpace,
} from './kv-write.ts';
export {
  type AttentionPlan,
  type PagedAttentionArgs,
  PagedAttentionOp,
  type PagedAttentionOptions,
  type PagedAttentionShape,
  pagedAttentionTuningSpace,
  type RowRange,
} from './paged-attention.ts';
export { kvPoolBytes, kvPoolIndex, PAGE_TOKENS } from './paged-kv-layout.ts';
export { type AttentionDecodeShape, attentionDecodeTunable } from './tunable.ts';
