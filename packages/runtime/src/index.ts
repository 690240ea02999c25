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
