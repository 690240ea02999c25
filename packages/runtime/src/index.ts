export { applyChatTemplate, type ChatTemplateOptions, renderChat } from './chat/chat-template.ts';
export { CHATML_TEMPLATE } from './chat/chatml-template.ts';
export {
  type ModelTuningOptions,
  type ModelTuningProgress,
  type ModelTuningTunable,
  tuneModelKernels,
} from './engine/kernel-tuning.ts';
export { type LoadedModel, loadModel, type ModelLoadOptions } from './engine/load-model.ts';
export { RuminateEngine, type RuminateEngineOptions } from './engine/ruminate-engine.ts';
export { SequenceEngine, type SequenceEngineOptions } from './engine/sequence-engine.ts';
export { type CoalescerStats, StepCoalescer } from './engine/step-coalescer.ts';
export type * from './engine/types.ts';
export { memorySource } from './gguf/memory-source.ts';
export { gguf, metaNumber, metaNumbers, metaString, metaStrings } from './gguf/metadata.ts';
export { type ParseGgufOptions, parseGguf } from './gguf/parse.ts';
export type * from './gguf/types.ts';

export {
  type GgufLayout,
  type GgufWriteOptions,
  type GgufWriteTensor,
  layoutGguf,
  writeGguf,
} from './gguf/write.ts';
export { type PageCopy, PagedKvCache, type PagedKvCacheOptions } from './kv/paged-kv-cache.ts';
export { DirectoryModelCache } from './loading/directory-cache.ts';
export { openFileSource } from './loading/file-source.ts';
export { type HttpSourceOptions, openHttpSource } from './loading/http-source.ts';
export { mergedSplitSource } from './loading/merged-source.ts';

export type { CachedModel, ModelCache } from './loading/model-cache.ts';
export {
  checkModelFit,
  type DeviceBudget,
  type FitReport,
  type FitRequest,
  kvBytesPerToken,
} from './loading/model-fit.ts';
export { type OpenedModel, type OpenModelOptions, openModel } from './loading/open-model.ts';
export { OpfsModelCache } from './loading/opfs-cache.ts';
export { Sha256 } from './loading/sha256.ts';
export { createSourceOpener, type SourceOpenerOptions } from './loading/source-opener.ts';
export { type ModelTensor, splitPartNames } from './loading/split-gguf.ts';
export { type TensorChunk, type TensorChunkOptions, tensorChunks } from './loading/tensor-stream.ts';
export type { RowSampling, SampledToken } from './model/backend.ts';
export { type Architecture, type Hparams, readHparams } from './model/hparams.ts';
export { type ModelMatmulProblem, modelMatmulProblems, TUNED_ROW_COUNTS } from './model/matmul-problems.ts';
export {
  checkModelTensors,
  type ExpectedTensor,
  expectedTensors,
  type FileTensor,
  type TensorCheckOptions,
} from './model/tensor-names.ts';
export { CpuSampler, sampleRows } from './sampling/cpu-sampler.ts';
export { toSampledToken } from './sampling/sampled-token.ts';
export { samplerRowParams } from './sampling/sampler-row-params.ts';
export type { GgufMetadataLike, SpecialTokenName, TokenizerSpec } from './tokenizer/metadata.ts';
export { type PreTokenizerKind, preTokenize } from './tokenizer/pre-tokenize.ts';
export { StreamingDetokenizer } from './tokenizer/streaming-detokenizer.ts';
export { type DecodeOptions, type EncodeOptions, Tokenizer } from './tokenizer/tokenizer.ts';
export type { TokenizerConfig } from './tokenizer/tokenizer-config.ts';
