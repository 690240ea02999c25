// From a parsed GGUF to a runnable SequenceEngine on the CPU backend: threads and features,
// the memory plan, the kernels generated for this model's shapes, the weights read and repacked
// into the memory one tensor at a time, and the thread pool.
import { RuminateError } from '@ruminate/errors';
import { dequantize, PAGE_TOKENS } from '@ruminate/gpu';
import { createMemory, detectWasmFeatures, planThreading, requireWasmSimd, ThreadPool } from '@ruminate/wasm';
import type { ByteSource, GgufHeader, GgufTensorInfo } from '../gguf/types.ts';
import { PagedKvCache } from '../kv/paged-kv-cache.ts';
import { CpuEmbedding } from '../model/cpu-embedding.ts';
import { readHparams, ropeFactorsTensor } from '../model/hparams.ts';
import { checkModelTensors } from '../model/tensor-names.ts';
import { WasmKernels } from '../model/wasm/wasm-kernels.ts';
import { WasmLayout } from '../model/wasm/wasm-layout.ts';
import { WasmModel } from '../model/wasm/wasm-model.ts';
import { modelLinears, modelTensors, modelVectors } from '../model/wasm/wasm-tensors.ts';
import type { LoadedModel, ModelLoadOptions } from './load-model.ts';
import { contextLengthFor, modelInfo } from './load-model.ts';
import { SequenceEngine } from './sequence-engine.ts';
import { applyWasmTuning, type WasmTuningOptions } from './wasm-tuning.ts';

/** Options of the CPU backend beyond ModelLoadOptions. */
export interface WasmLoadOptions extends ModelLoadOptions {
  /** Compute threads (default: every core, where the page is cross-origin isolated). */
  threads?: number;
  /** Kernel tuning: cached winners, timing at a first load, or the shipped defaults (default `off`; RuminateEngine passes its own). */
  tuning?: WasmTuningOptions;
}

/** Loads a parsed GGUF onto the WebAssembly backend. */
export async function loadWasmModel(
  header: GgufHeader,
  source: ByteSource,
  opts: WasmLoadOptions = {},
): Promise<LoadedModel<WasmModel>> {
  const hp = readHparams(header.metadata, (n) => header.tensors.find((t) => t.name === n)?.dims);
  const contextLength = contextLengthFor(hp, opts);
  const features = detectWasmFeatures();
  requireWasmSimd(features);
  const maxSequences = opts.maxSequences ?? 64;
  const maxPagesPerSeq = Math.ceil(contextLength / PAGE_TOKENS);
  const numPages = opts.kvPages ?? 4 * maxPagesPerSeq + maxSequences;
  if (numPages < maxPagesPerSeq) {
    throw new RuminateError(
      'invalid-argument',
      `kvPages ${numPages} cannot hold one ${contextLength}-token sequence (${maxPagesPerSeq} pages).`,
      { field: 'kvPages' },
    );
  }
  const maxRows = opts.maxPassTokens ?? 128;
  const sizes = {
    numPages,
    pageTokens: PAGE_TOKENS,
    numSlots: maxSequences,
    maxPagesPerSeq,
    maxRows,
    maxSampled: maxSequences,
  };
  const embInfo = header.tensors.find((t) => t.name === 'token_embd.weight');
  if (!embInfo)
    throw new RuminateError('gguf-invalid', 'The model lacks token_embd.weight; the file is incomplete.');
  // The same tensor check as the WebGPU path: nothing missing, nothing misshapen, nothing unread.
  const fileTensors = checkModelTensors(hp, header.tensors, opts);
  const tensors = modelTensors(hp, fileTensors);
  const threading = await planThreading(opts.threads);
  const kernels = new WasmKernels(hp, { relaxedSimd: features.relaxedSimd });
  const tuning = await applyWasmTuning(kernels, tensors, features, {
    mode: 'off',
    ...opts.tuning,
    ...(opts.onProgress && !opts.tuning?.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const { plan, layout } = WasmLayout.plan(hp, tensors, sizes, kernels);
  const arena = createMemory(plan, { shared: threading.shared });
  layout.bind(arena);
  opts.onProgress?.({ phase: 'compile', done: 0, total: 1 });
  const compiled = kernels.compile(arena, tensors, layout);
  compiled.catch(() => undefined); // awaited below, after the weights
  const embedding = await CpuEmbedding.read(embInfo, source);
  await placeWeights(arena.memory, layout, tensors, kernels, source, opts);
  const module = await compiled;
  opts.onProgress?.({ phase: 'compile', done: 1, total: 1 });
  // Llama 3's rope_freqs, or Phi-3's long or short factors for this context (llama.cpp get_rope_factors).
  const factorsName = ropeFactorsTensor(hp, maxPagesPerSeq * PAGE_TOKENS);
  const freqs = header.tensors.find((t) => t.name === factorsName);
  const freqFactors = freqs
    ? dequantize(freqs.type.name, await source.read(freqs.offset, freqs.bytes), freqs.elements)
    : undefined;
  writeRopeTables(arena.memory, layout, kernels, freqFactors);
  const pool = await ThreadPool.create({
    module,
    memory: arena.memory,
    exportNames: kernels.exportNames(),
    threads: threading.threads,
    control: arena.region('pool-control'),
  });
  const model = new WasmModel(hp, arena, layout, kernels, pool, embedding, {
    threads: threading.threads,
    threadsReason: threading.reason,
    relaxedSimd: features.relaxedSimd,
    memoryBytes: arena.bytes,
    tuning,
  });
  const kv = new PagedKvCache({ numPages, pageTokens: PAGE_TOKENS, numSlots: maxSequences, contextLength });
  const info = {
    ...modelInfo(header, hp, contextLength, layout.weightBytes + embedding.byteLength),
    backend: 'wasm' as const,
    threads: { count: threading.threads, reason: threading.reason },
    tuning,
  };
  const engine = new SequenceEngine({
    kv,
    backend: model,
    vocabSize: hp.nVocab,
    eosTokenIds: info.eosTokenIds,
    maxPassTokens: maxRows,
  });
  return { hp, info, engine, model };
}

/** Reads every weight from the source and writes it into its region, repacked (one tensor in JS memory at a time). */
async function placeWeights(
  memory: WebAssembly.Memory,
  layout: WasmLayout,
  tensors: ReturnType<typeof modelTensors>,
  kernels: WasmKernels,
  source: ByteSource,
  opts: WasmLoadOptions,
): Promise<void> {
  const linears = modelLinears(tensors).map((l) => l.spec);
  const vectors = modelVectors(tensors);
  const total = linears.reduce((s, l) => s + l.sources.reduce((a, t) => a + t.bytes, 0), 0);
  let done = 0;
  const read = async (t: GgufTensorInfo) => {
    if (opts.signal?.aborted) throw new RuminateError('aborted', 'The load was cancelled.');
    return source.read(t.offset, t.bytes);
  };
  for (const v of vectors) {
    const out = new Float32Array(memory.buffer, layout.vector(v.name), v.length);
    out.fill(0);
    let at = 0;
    for (const [i, t] of v.sources.entries()) {
      if (t) out.set(dequantize(t.type.name, await read(t), t.elements), at);
      at += v.lengths[i] as number;
    }
  }
  for (const s of linears) {
    const parts = await Promise.all(s.sources.map(read));
    const src = parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts);
    kernels.repack(s, src, new Uint8Array(memory.buffer, layout.weight(s.name), kernels.linearBytes(s)));
    done += src.byteLength;
    opts.onProgress?.({ phase: 'upload', done, total });
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Fills the RoPE cos/sin tables (global layers, and sliding-window ones) for every position the context can reach. */
function writeRopeTables(
  memory: WebAssembly.Memory,
  layout: WasmLayout,
  kernels: WasmKernels,
  freqFactors: Float32Array | undefined,
): void {
  for (const swa of layout.ropeTableSwa === layout.ropeTable ? [false] : [false, true]) {
    const table = kernels.ropeTable(layout.maxPagesPerSeq * PAGE_TOKENS, freqFactors, swa);
    new Float32Array(memory.buffer, swa ? layout.ropeTableSwa : layout.ropeTable, table.length).set(table);
  }
}
