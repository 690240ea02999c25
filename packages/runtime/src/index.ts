export {
  applyChatTemplate,
  type ChatTemplateOptions,
  chooseChatTemplate,
  renderChat,
  renderChatTemplate,
} from './chat/chat-template.ts';
export { CHATML_TEMPLATE } from './chat/chatml-template.ts';
export type * from './engine/types.ts';
export { memorySource } from './gguf/memory-source.ts';
export {
  gguf,
  metaArray,
  metaBool,
  metaNumber,
  metaNumbers,
  metaOptionalNumber,
  metaString,
  metaStrings,
} from './gguf/metadata.ts';
export { GGUF_DEFAULT_ALIGNMENT, type ParseGgufOptions, parseGguf } from './gguf/parse.ts';
export type * from './gguf/types.ts';
export { GGUF_VALUE_TYPE_IDS } from './gguf/types.ts';
export {
  type GgufLayout,
  type GgufWriteOptions,
  type GgufWriteTensor,
  layoutGguf,
  tensorByteSize,
  writeGguf,
} from './gguf/write.ts';
export {
  type GgufMetadataLike,
  readTokenizerSpec,
  type SpecialTokenName,
  type TokenizerSpec,
} from './tokenizer/metadata.ts';
export { type PreTokenizerKind, preTokenize } from './tokenizer/pre-tokenize.ts';
export { StreamingDetokenizer } from './tokenizer/streaming-detokenizer.ts';
export { type DecodeOptions, type EncodeOptions, Tokenizer } from './tokenizer/tokenizer.ts';
export {
  resolveTokenizerConfig,
  SUPPORTED_PRE_TYPES,
  type TokenizerConfig,
} from './tokenizer/tokenizer-config.ts';
export { modelMatmulProblems, type ModelMatmulProblem, TUNED_ROW_COUNTS } from './model/matmul-problems.ts';
export { blobSource, nodeFileSource, openBasicSource } from './engine/basic-sources.ts';
export { type LoadedModel, loadModel, type ModelLoadOptions } from './engine/load-model.ts';
export { RuminateEngine, type RuminateEngineOptions } from './engine/ruminate-engine.ts';
export { SequenceEngine, type SequenceEngineOptions } from './engine/sequence-engine.ts';
export { type PageCopy, PagedKvCache, type PagedKvCacheOptions } from './kv/paged-kv-cache.ts';
export { type Architecture, type Hparams, readHparams } from './model/hparams.ts';
export { connectEngine, type RemoteEngine } from './worker/connect-engine.ts';
export { exposeEngine } from './worker/expose-engine.ts';
