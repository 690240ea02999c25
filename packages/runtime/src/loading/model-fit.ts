// The model-fit check: from the header alone (no tensor data), do the weights plus the KV
// cache for the requested context fit the device? Limits are WebGPU's adapter limits
// (maxBufferSize, maxStorageBufferBindingSize) and a memory budget the caller estimates
// for the device. Tensors larger than one buffer are split by rows when placed, so the hard
// per-tensor rule is that one row fits one binding. KV: a K and a V entry per layer per
// token, each nKvHeads × headDim elements (llama.cpp's n_embd_k_gqa / n_embd_v_gqa).

import { RuminateError } from '@ruminate/errors';
import { metaNumber, metaString } from '../gguf/metadata.ts';
import type { GgufHeader, GgufTensorInfo } from '../gguf/types.ts';

/** What the device offers. */
export interface DeviceBudget {
  /** GPUSupportedLimits.maxBufferSize. */
  maxBufferSize: number;
  /** GPUSupportedLimits.maxStorageBufferBindingSize. */
  maxStorageBufferBindingSize: number;
  /** Bytes of GPU memory the model may use (an estimate; omit to check buffer limits only). */
  memoryBytes?: number;
  /** What that memory is, for messages (default `GPU memory`; the wasm backend says `WebAssembly memory (32-bit: 4 GiB)`). */
  memoryName?: string;
}

/** What to fit. */
export interface FitRequest {
  /** Context length (tokens) the KV cache must hold, summed over concurrent sequences. */
  contextLength: number;
  /** Bytes per stored KV element (4 for f32, 2 for f16; default 4). */
  kvBytesPerElement?: number;
  /** Allocation overhead on top of weights + KV (default 0.15: scratch buffers, padding). */
  overhead?: number;
}

/** The sizes the check computed. */
export interface FitReport {
  weightBytes: number;
  kvBytesPerToken: number;
  kvBytes: number;
  /** weights + KV, times 1 + overhead. */
  totalBytes: number;
  /** Largest context that fits the memory budget (Infinity without one). */
  maxContextLength: number;
}

/** What the CPU (wasm) backend offers: one 32-bit WebAssembly memory holds weights, KV and scratch. */
export const WASM_DEVICE_BUDGET: DeviceBudget = {
  maxBufferSize: 2 ** 32,
  maxStorageBufferBindingSize: 2 ** 32,
  memoryBytes: 2 ** 32,
  memoryName: 'WebAssembly memory (32-bit: 4 GiB) on the CPU backend',
};

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** A key llama.cpp also accepts as one value per layer (`get_key_or_arr`): its largest value. */
function perLayerMax(metadata: GgufHeader['metadata'], key: string, fallback?: number): number {
  const v = metadata.get(key);
  if (v?.type === 'array' && v.itemType !== 'string' && v.itemType !== 'array' && v.values.length > 0) {
    return Math.max(...Array.from(v.values as ArrayLike<number | bigint | boolean>, Number));
  }
  return metaNumber(metadata, key, fallback);
}

/** KV bytes per token of context for the model in `metadata`. */
export function kvBytesPerToken(metadata: GgufHeader['metadata'], kvBytesPerElement = 4): number {
  const arch = metaString(metadata, 'general.architecture');
  const nLayers = metaNumber(metadata, `${arch}.block_count`);
  const nHeads = perLayerMax(metadata, `${arch}.attention.head_count`);
  const nKv = perLayerMax(metadata, `${arch}.attention.head_count_kv`, nHeads);
  const nEmbd = metaNumber(metadata, `${arch}.embedding_length`);
  const kDim = metaNumber(metadata, `${arch}.attention.key_length`, nEmbd / nHeads);
  const vDim = metaNumber(metadata, `${arch}.attention.value_length`, kDim);
  return nLayers * nKv * (kDim + vDim) * kvBytesPerElement;
}

/** Checks the model against the device; returns the sizes, or throws `model-too-large` saying what would fit. */
export function checkModelFit(
  model: {
    metadata: GgufHeader['metadata'];
    tensors: readonly Pick<GgufTensorInfo, 'name' | 'bytes' | 'dims' | 'type'>[];
  },
  request: FitRequest,
  device: DeviceBudget,
): FitReport {
  const overhead = 1 + (request.overhead ?? 0.15);
  const weightBytes = model.tensors.reduce((a, t) => a + t.bytes, 0);
  for (const t of model.tensors) {
    const rowBytes = ((t.dims[0] ?? 1) / t.type.blockSize) * t.type.blockBytes;
    if (rowBytes > device.maxStorageBufferBindingSize) {
      throw new RuminateError(
        'model-too-large',
        `Tensor '${t.name}' has ${mib(rowBytes)} rows, over this device's ${mib(device.maxStorageBufferBindingSize)} storage-binding limit, so it cannot be placed. Use a smaller model.`,
      );
    }
  }
  const perToken = kvBytesPerToken(model.metadata, request.kvBytesPerElement ?? 4);
  const kvBytes = perToken * request.contextLength;
  const totalBytes = (weightBytes + kvBytes) * overhead;
  const memory = device.memoryBytes;
  const maxContextLength =
    memory === undefined
      ? Number.POSITIVE_INFINITY
      : Math.max(0, Math.floor((memory / overhead - weightBytes) / perToken));
  if (memory !== undefined && totalBytes > memory) {
    throw new RuminateError(
      'model-too-large',
      weightBytes * overhead > memory
        ? `The model's weights alone need ${mib(weightBytes * overhead)} (with ${Math.round((overhead - 1) * 100)}% overhead) but about ${mib(memory)} of ${device.memoryName ?? 'GPU memory'} is available. Use a smaller model or a smaller quantization (e.g. Q4_K_M instead of Q8_0).`
        : `The model needs ${mib(totalBytes)}: weights ${mib(weightBytes)} + KV cache ${mib(kvBytes)} for ${request.contextLength} tokens (+${Math.round((overhead - 1) * 100)}%), but about ${mib(memory)} of ${device.memoryName ?? 'GPU memory'} is available. The largest context that fits is ${maxContextLength} tokens; ask for contextLength ≤ ${maxContextLength}.`,
    );
  }
  const layerKv =
    ((perToken / 2) * request.contextLength) /
    Math.max(
      1,
      metaNumber(model.metadata, `${metaString(model.metadata, 'general.architecture')}.block_count`),
    );
  if (layerKv > device.maxBufferSize) {
    const fit = Math.floor((request.contextLength * device.maxBufferSize) / layerKv);
    throw new RuminateError(
      'model-too-large',
      `One layer's K cache for ${request.contextLength} tokens needs ${mib(layerKv)}, over this device's ${mib(device.maxBufferSize)} buffer limit. The largest context that fits is ${fit} tokens.`,
    );
  }
  return { weightBytes, kvBytesPerToken: perToken, kvBytes, totalBytes, maxContextLength };
}
