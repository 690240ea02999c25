// GGUF → the Hugging Face / transformers.js model layout: config.json, generation_config.json,
// tokenizer.json, tokenizer_config.json and onnx/model.onnx (fp32 weights dequantized from the
// GGUF, so every engine computes with the same numbers); for q4_0 models also onnx/model_q4.onnx,
// whose q4_0 matrices stay 4-bit (MatMulNBits with the GGUF's own scales and nibbles). Stands in for a PyTorch export, which
// these machines cannot run (no torch).
import { RuminateError } from '@ruminate/errors';
import { dequantize, isQuantType } from '@ruminate/gpu';
import { type ByteSource, type GgufHeader, metaStrings, readHparams, Tokenizer } from '@ruminate/runtime';
import { hfGenerationConfig, hfModelConfig } from './hf-config.ts';
import { hfTokenizerConfig, hfTokenizerJson } from './hf-tokenizer.ts';
import { buildLlamaGraph, checkConvertible, type GgufMatrix, LLAMA_GRAPH_OPSET } from './llama-graph.ts';

/** The files of a converted model, by path relative to the model folder. */
export type ConvertedModel = Map<string, Uint8Array>;

/** Bump when the converter's output changes for the same GGUF (caches key on it). */
export const CONVERTER_VERSION = 2;

/** Converts a parsed GGUF whose bytes `source` reads into the transformers.js files. */
export async function convertGgufToOnnx(header: GgufHeader, source: ByteSource): Promise<ConvertedModel> {
  const hp = readHparams(header.metadata, (n) => header.tensors.find((t) => t.name === n)?.dims);
  checkConvertible(hp);
  const tok = Tokenizer.fromMetadata(header.metadata);
  const tensors = new Map<string, GgufMatrix>();
  for (const t of header.tensors) {
    if (!isQuantType(t.type.name)) {
      throw new RuminateError(
        'gguf-unsupported',
        `Tensor ${t.name} has type ${t.type.name}, which has no CPU codec.`,
      );
    }
    const bytes = await source.read(t.offset, t.bytes);
    const data = dequantize(t.type.name, bytes, t.elements);
    tensors.set(
      t.name,
      t.type.name === 'q4_0' ? { dims: t.dims, data, q4_0: bytes } : { dims: t.dims, data },
    );
  }
  const producer = `ruminate-gguf-to-onnx/${CONVERTER_VERSION}`;
  const onnx = buildLlamaGraph(hp, (n) => tensors.get(n)).encode({
    opsets: { '': LLAMA_GRAPH_OPSET },
    producer,
  });
  // q4_0 models also get onnx/model_q4.onnx (transformers.js dtype 'q4'): the same 4-bit values as MatMulNBits.
  const q4 = header.tensors.some((t) => t.type.name === 'q4_0')
    ? buildLlamaGraph(hp, (n) => tensors.get(n), 'q4').encode({
        opsets: { '': LLAMA_GRAPH_OPSET, 'com.microsoft': 1 },
        producer,
      })
    : undefined;
  const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);
  const merges = metaStrings(header.metadata, 'tokenizer.ggml.merges') ?? [];
  return new Map([
    ['config.json', json(hfModelConfig(hp, tok, !tensors.has('output.weight')))],
    ['generation_config.json', json(hfGenerationConfig(tok))],
    ['tokenizer.json', json(hfTokenizerJson(tok, merges))],
    ['tokenizer_config.json', json(hfTokenizerConfig(tok, hp.contextLength))],
    ['onnx/model.onnx', onnx],
    ...(q4 ? ([['onnx/model_q4.onnx', q4]] as const) : []),
  ]);
}
