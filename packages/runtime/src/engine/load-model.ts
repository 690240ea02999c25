// From a parsed GGUF to a runnable SequenceEngine on the GPU: hyper-parameters, KV sizing,
// weight upload, kernel compilation, and the ModelInfo the Engine reports.
import { RuminateError } from '@ruminate/errors';
import { type KernelContext, kvPoolBytes, PAGE_TOKENS } from '@ruminate/gpu';
import type { ByteSource, GgufHeader } from '../gguf/types.ts';
import { PagedKvCache } from '../kv/paged-kv-cache.ts';
import type { ModelBackend } from '../model/backend.ts';
import { CpuEmbedding } from '../model/cpu-embedding.ts';
import { splitFusedTensors } from '../model/fused-tensors.ts';
import { GpuModel } from '../model/gpu-model.ts';
import { GpuWeights } from '../model/gpu-weights.ts';
import { type Hparams, readHparams } from '../model/hparams.ts';
import { modelMatmulProblems } from '../model/matmul-problems.ts';
import { checkModelTensors } from '../model/tensor-names.ts';
import { SequenceEngine } from './sequence-engine.ts';
import type { LoadOptions, ModelInfo } from './types.ts';

/** Sizing beyond the public LoadOptions. */
export interface ModelLoadOptions extends LoadOptions {
  /** Largest number of live sequences (default 64). */
  maxSequences?: number;
  /** Rows per forward pass, i.e. the prefill chunk (default 128). */
  maxPassTokens?: number;
}

/** A model ready to step. */
export interface LoadedModel<M extends ModelBackend = ModelBackend> {
  /** Hyper-parameters. */
  hp: Hparams;
  /** What the Engine reports. */
  info: ModelInfo;
  /** Sequences and steps. */
  engine: SequenceEngine;
  /** The model (destroy to free its memory): a GpuModel, or a WasmModel on the CPU backend. */
  model: M;
}

/** Uploads the weights of a parsed GGUF and builds its GPU model and KV cache. */
export async function loadModel(
  ctx: KernelContext,
  header: GgufHeader,
  source: ByteSource,
  opts: ModelLoadOptions = {},
): Promise<LoadedModel<GpuModel>> {
  const hp = readHparams(header.metadata, (n) => header.tensors.find((t) => t.name === n)?.dims);
  // Every tensor the model reads is present and shaped right, and nothing else is in the file;
  // fused projections are then split into the parts the graph binds.
  const tensors = splitFusedTensors(hp, checkModelTensors(hp, header.tensors, opts));
  const contextLength = contextLengthFor(hp, opts);
  const maxSequences = opts.maxSequences ?? 64;
  const maxPagesPerSeq = Math.ceil(contextLength / PAGE_TOKENS);
  const pageLayerBytes = kvPoolBytes(1, hp.nKvHeads, hp.headDim);
  const maxBinding = Math.min(
    ctx.limits.maxStorageBufferBindingSize ?? 2 ** 27,
    ctx.limits.maxBufferSize ?? 2 ** 28,
  );
  const fit = Math.floor(maxBinding / pageLayerBytes);
  // Default: four full-length sequences' worth, plus one private page per sequence slot for forks.
  const numPages = opts.kvPages ?? Math.min(fit, 4 * maxPagesPerSeq + maxSequences);
  if (numPages < maxPagesPerSeq) {
    throw new RuminateError(
      'model-too-large',
      `A ${contextLength}-token context needs ${maxPagesPerSeq} KV pages per layer but this device binds at most ` +
        `${fit}; load with a contextLength ≤ ${fit * PAGE_TOKENS}.`,
    );
  }
  const embInfo = tensors.find((t) => t.name === 'token_embd.weight');
  if (!embInfo)
    throw new RuminateError('gguf-invalid', 'The model lacks token_embd.weight; the file is incomplete.');
  // The embedding table lives on the CPU; the GPU needs it only as a tied output matrix.
  const tied = !tensors.some((t) => t.name === 'output.weight');
  const gpuTensors = tied ? tensors : tensors.filter((t) => t !== embInfo);
  const sizes = {
    numPages,
    pageTokens: PAGE_TOKENS,
    numSlots: maxSequences,
    maxPagesPerSeq,
    maxRows: opts.maxPassTokens ?? 128,
  };
  // Kernels compile while the weights stream in (on a CPU adapter compiling takes seconds).
  const problems = modelMatmulProblems(tensors, [1, sizes.maxRows]);
  const kernels = GpuModel.compileKernels(ctx, hp, sizes, problems);
  kernels.catch(() => undefined); // awaited below; a failed upload must not leave it unhandled
  const embedding = await CpuEmbedding.read(embInfo, source);
  const weights = await GpuWeights.upload(ctx.device, ctx.limits, gpuTensors, source, {
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let model: GpuModel;
  try {
    opts.onProgress?.({ phase: 'compile', done: 0, total: 1 });
    model = await GpuModel.create(ctx, hp, weights, embedding, sizes, await kernels);
    opts.onProgress?.({ phase: 'compile', done: 1, total: 1 });
  } catch (e) {
    weights.destroy();
    throw e;
  }
  const kv = new PagedKvCache({ numPages, pageTokens: PAGE_TOKENS, numSlots: maxSequences, contextLength });
  const info = {
    ...modelInfo(header, hp, contextLength, weights.bytes + (tied ? 0 : embedding.byteLength)),
    backend: 'webgpu' as const,
  };
  const engine = new SequenceEngine({
    kv,
    backend: model,
    vocabSize: hp.nVocab,
    eosTokenIds: info.eosTokenIds,
    maxPassTokens: opts.maxPassTokens ?? 128,
  });
  return { hp, info, engine, model };
}

/** The context a load reserves KV for: the option, else the model's own up to 4096 (a typed error for a bad value). */
export function contextLengthFor(hp: Hparams, opts: Pick<LoadOptions, 'contextLength'>): number {
  const contextLength = opts.contextLength ?? Math.min(hp.contextLength, 4096);
  if (!Number.isInteger(contextLength) || contextLength < 1) {
    throw new RuminateError(
      'invalid-argument',
      `contextLength must be a positive integer, got ${contextLength}.`,
      {
        field: 'contextLength',
      },
    );
  }
  return contextLength;
}

/** ModelInfo from the header. */
export function modelInfo(
  header: GgufHeader,
  hp: Hparams,
  contextLength: number,
  weightBytes: number,
): ModelInfo {
  const meta = (k: string) => header.metadata.get(k) as { value?: unknown } | undefined;
  const bytesByType = new Map<string, number>();
  let parameters = 0;
  for (const t of header.tensors) {
    parameters += t.elements;
    if (t.dims.length >= 2) bytesByType.set(t.type.name, (bytesByType.get(t.type.name) ?? 0) + t.bytes);
  }
  const weightType = [...bytesByType.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'f32';
  const eos = new Set<number>();
  for (const k of ['tokenizer.ggml.eos_token_id', 'tokenizer.ggml.eot_token_id']) {
    const v = meta(k)?.value;
    if (typeof v === 'number') eos.add(v);
  }
  const name = meta('general.name')?.value;
  return {
    architecture: hp.arch,
    name: typeof name === 'string' ? name : undefined,
    parameters,
    vocabSize: hp.nVocab,
    contextLength,
    trainedContextLength: hp.contextLength,
    weightType,
    eosTokenIds: [...eos],
    weightBytes,
    hasChatTemplate: typeof meta('tokenizer.chat_template')?.value === 'string',
  };
}
