// The GGUF → ONNX converter: a GGUF llama-family model as the files transformers.js loads.
export { CONVERTER_VERSION, type ConvertedModel, convertGgufToOnnx } from './gguf-to-onnx.ts';
export { hfGenerationConfig, hfModelConfig } from './hf-config.ts';
export { hfTokenizerConfig, hfTokenizerJson } from './hf-tokenizer.ts';
export { buildLlamaGraph, checkConvertible, type GgufMatrix, type GgufTensorLookup } from './llama-graph.ts';
export { convertedFolder, convertGgufFile, writeModelFolder } from './model-folder.ts';
export { OnnxGraph } from './onnx-graph.ts';
