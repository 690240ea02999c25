// Architecture hyper-parameters from GGUF metadata, read key by key as llama.cpp reads them:
// `llama_model_base::load_hparams` (src/llama-model.cpp) for the keys every architecture shares,
// `load_arch_hparams` in src/models/{llama,qwen2,qwen3,qwen2moe}.cpp for the rest, key names from
// `LLM_KV_NAMES` (src/llama-arch.cpp); gemma2, gemma3 and phi3's own keys in src/models/{gemma2,gemma3,phi3}.cpp. Defaults when a key is absent are llama.cpp's; where
// llama.cpp refuses a file (a required key missing, a key of the wrong type, an assertion of its
// graph builders) Ruminate refuses it too, naming the key. The table is in packages/runtime/README.md
// ("GGUF metadata keys").
import { RuminateError } from '@ruminate/errors';
import { readFamilyHparams } from './family-hparams.ts';
import {
  type Metadata,
  type MetadataValue,
  readBool,
  readF32,
  readString,
  readU32,
  readU32PerLayer,
  uniform,
} from './metadata-keys.ts';
import { refuseUnimplementedArchitecture } from './unsupported-architectures.ts';

export type { MetadataValue } from './metadata-keys.ts';

/** Architectures Ruminate runs (`general.architecture`). */
export type Architecture = 'llama' | 'qwen2' | 'qwen3' | 'qwen2moe' | 'phi3' | 'gemma2' | 'gemma3';

/** The architectures, for messages and checks. */
export const ARCHITECTURES: readonly Architecture[] = [
  'llama',
  'qwen2',
  'qwen3',
  'qwen2moe',
  'phi3',
  'gemma2',
  'gemma3',
];

/**
 * Rotary embedding pairing: `norm` rotates adjacent pairs (x[2i], x[2i+1]) (llama: the GGUF
 * converter permutes Q/K for it); `neox` rotates (x[i], x[i + d/2]) (qwen2/qwen3/qwen2moe).
 * llama.cpp `llama_model_rope_type`.
 */
export type RopeStyle = 'norm' | 'neox';

/** Everything the forward pass needs besides the weights. */
export interface Hparams {
  /** `general.architecture`. */
  arch: Architecture;
  /** Decoder layers. */
  nLayers: number;
  /** Residual width. */
  nEmbd: number;
  /** Query heads. */
  nHeads: number;
  /** Key/value heads (grouped-query attention when fewer than nHeads). */
  nKvHeads: number;
  /** Per-head dimension of queries and keys (and values). */
  headDim: number;
  /** Feed-forward width (per expert for MoE). */
  nFf: number;
  /** Vocabulary size. */
  nVocab: number;
  /** RMSNorm epsilon. */
  rmsEps: number;
  /** RoPE base frequency. */
  ropeBase: number;
  /** Dimensions rotated by RoPE: headDim, or fewer for phi3 (Phi-4-mini rotates 3/4 of each head). */
  ropeDims: number;
  /** RoPE pairing. */
  ropeStyle: RopeStyle;
  /** Linear RoPE scaling factor: positions are divided by it (1: no scaling). */
  ropeScale: number;
  /** Whether each RoPE frequency is divided by a factor from `rope_freqs.weight` (Llama 3.1+). */
  ropeFreqFactors: boolean;
  /**
   * Phi-3's LongRoPE factors: `rope_factors_long.weight` when a sequence's context exceeds
   * `ropeOrigContext`, else `rope_factors_short.weight` (see `ropeFactorsTensor`).
   */
  ropeLongShortFactors: boolean;
  /** The context RoPE was trained at before scaling (`rope.scaling.original_context_length`). */
  ropeOrigContext: number;
  /** ggml's rope `attn_factor`: cos and sin are multiplied by it (`rope.scaling.attn_factor`, Phi-3 LongRoPE). */
  ropeAttnFactor: number;
  /** RoPE base of the sliding-window layers (gemma2: the base; gemma3: `rope.freq_base_swa`, default 10000). */
  ropeBaseSwa: number;
  /** Linear RoPE scale of the sliding-window layers (gemma2: the model's; gemma3: 1). */
  ropeScaleSwa: number;
  /** Tokens a query of a sliding-window layer sees, itself included (0: no sliding window). */
  slidingWindow: number;
  /** Per layer, whether it attends within `slidingWindow` (llama.cpp `is_swa`). */
  swaLayers: readonly boolean[];
  /** Multiplier of q·k before the softmax: 1/√headDim, or Gemma's `f_attention_scale`. */
  attnScale: number;
  /** Attention logit soft-cap c (scores become c·tanh(s/c); gemma2), 0 for none. */
  attnSoftcap: number;
  /** Final logit soft-cap (gemma2, gemma3 when set), 0 for none. */
  finalSoftcap: number;
  /** Multiplier of the token embeddings (Gemma: √nEmbd in f32; 1 elsewhere). */
  embedScale: number;
  /** Gated feed-forward activation: SwiGLU (`silu`) or Gemma's GeGLU (`gelu`, tanh approximation). */
  ffnAct: 'silu' | 'gelu';
  /** RMSNorms on the attention and feed-forward outputs before the residual add (Gemma 2/3). */
  postNorms: boolean;
  /** Trained context length. */
  contextLength: number;
  /** Experts per MoE layer (0: dense). */
  nExperts: number;
  /** Experts used per token. */
  nExpertsUsed: number;
  /** Renormalise the selected experts' softmax weights to sum to one (mixtral yes, qwen2moe no). */
  normalizeExpertWeights: boolean;
  /** Shared-expert feed-forward width (qwen2moe; 0 when the architecture has none). */
  nFfShared: number;
}

/** llama.cpp's LLAMA_MAX_LAYERS and LLAMA_MAX_EXPERTS (src/llama-hparams.h). */
const MAX_LAYERS = 512;
const MAX_EXPERTS = 1024;

function refused(what: string): RuminateError {
  return new RuminateError(
    'gguf-invalid',
    `${what} llama.cpp refuses this file too; it is damaged or mislabelled.`,
  );
}

function unimplemented(what: string): RuminateError {
  return new RuminateError(
    'gguf-unsupported',
    `${what} Ruminate does not implement it yet, so it refuses the file rather than compute something else.`,
  );
}

/** Reads the hyper-parameters of a supported architecture from GGUF metadata. */
export function readHparams(
  metadata: ReadonlyMap<string, MetadataValue>,
  tensorDims?: (name: string) => readonly number[] | undefined,
): Hparams {
  const meta: Metadata = metadata;
  const archValue = meta.get('general.architecture')?.value;
  if (typeof archValue !== 'string' || !(ARCHITECTURES as readonly string[]).includes(archValue)) {
    refuseUnimplementedArchitecture(archValue, ARCHITECTURES);
  }
  const arch = archValue as Architecture;
  const key = (k: string) => `${arch}.${k}`;
  const required = (k: string): number => {
    const v = readU32(meta, key(k));
    if (v === undefined) throw refused(`The model's metadata lacks ${key(k)}, which llama.cpp requires.`);
    return v;
  };

  // llama_model_base::load_hparams: the keys every architecture shares.
  const contextLength = required('context_length');
  const nEmbd = required('embedding_length');
  const nLayers = required('block_count');
  if (nLayers < 1 || nLayers > MAX_LAYERS)
    throw refused(`${key('block_count')} = ${nLayers} is outside 1..${MAX_LAYERS}.`);
  const nExpertsKey = readU32(meta, key('expert_count')) ?? 0;
  const usedPerLayer = readU32PerLayer(meta, key('expert_used_count'), nLayers) ?? [0];
  const nExpertsUsedKey = Math.max(...usedPerLayer);
  const groups = readU32(meta, key('expert_group_count')) ?? 0;
  readU32(meta, key('expert_group_used_count'));
  if (nExpertsKey > MAX_EXPERTS)
    throw refused(`${key('expert_count')} = ${nExpertsKey} exceeds ${MAX_EXPERTS}.`);
  if (nExpertsUsedKey > nExpertsKey) {
    throw refused(
      `${key('expert_used_count')} = ${nExpertsUsedKey} exceeds ${key('expert_count')} = ${nExpertsKey}.`,
    );
  }
  if (nExpertsKey > 0 && nExpertsUsedKey === 0) {
    throw refused(`${key('expert_count')} = ${nExpertsKey} but ${key('expert_used_count')} is absent or 0.`);
  }
  if (nExpertsKey === 0 && groups !== 0)
    throw refused(`${key('expert_group_count')} is set on a model without experts.`);
  if (groups > 1) throw unimplemented(`${key('expert_group_count')} = ${groups}: grouped expert routing.`);
  const nFfLayers = readU32PerLayer(meta, key('feed_forward_length'), nLayers);
  const nFfKey = nFfLayers ? uniform(key('feed_forward_length'), nFfLayers) : 0;
  const headsLayers = readU32PerLayer(meta, key('attention.head_count'), nLayers);
  const nHeads = headsLayers ? uniform(key('attention.head_count'), headsLayers) : 0;
  const kvLayers = readU32PerLayer(meta, key('attention.head_count_kv'), nLayers);
  const nKvHeads = kvLayers ? uniform(key('attention.head_count_kv'), kvLayers) : nHeads;
  if (nExpertsKey > 0) uniform(key('expert_used_count'), usedPerLayer);
  readBool(meta, key('rope.scaling.finetuned'));
  const ropeBase = readF32(meta, key('rope.freq_base')) ?? 10000;
  const scaling = readString(meta, key('rope.scaling.type')) ?? 'linear';
  if (!['none', 'linear', 'yarn', 'longrope'].includes(scaling)) {
    throw refused(
      `${key('rope.scaling.type')} = "${scaling}" is not a RoPE scaling type llama.cpp knows (none, linear, yarn, longrope).`,
    );
  }
  if (scaling === 'yarn') {
    throw unimplemented(
      `${key('rope.scaling.type')} = "yarn": YaRN RoPE scaling (only none, linear, LongRoPE and Llama 3 frequency factors are implemented).`,
    );
  }
  // "longrope" computes as "linear" does in llama.cpp (ext_factor 0): Phi-3's factors come from
  // its rope_factors_{long,short} tensors and its magnitude from rope.scaling.attn_factor.
  // The factor's old spelling `rope.scale_linear` is read when `rope.scaling.factor` is absent; 0 means 1.
  const factor = readF32(meta, key('rope.scaling.factor')) ?? readF32(meta, key('rope.scale_linear')) ?? 0;
  const ropeScale = scaling === 'none' || factor === 0 ? 1 : factor;
  const ropeAttnFactor = readF32(meta, key('rope.scaling.attn_factor')) ?? 1;
  const ropeOrigContext = readU32(meta, key('rope.scaling.original_context_length')) || contextLength;
  readF32(meta, key('rope.scaling.alpha'));
  if (nHeads === 0) {
    throw refused(
      `The model's metadata lacks ${key('attention.head_count')} (llama.cpp then builds no attention and the tensors' shapes do not match).`,
    );
  }
  // C integer division, as llama.cpp computes the defaults.
  const headDim = readU32(meta, key('attention.key_length')) ?? Math.floor(nEmbd / nHeads);
  const headDimV = readU32(meta, key('attention.value_length')) ?? Math.floor(nEmbd / nHeads);
  const ropeDims = readU32(meta, key('rope.dimension_count')) ?? headDim;
  for (const [k, full] of [
    ['attention.key_length_swa', headDim],
    ['attention.value_length_swa', headDimV],
    ['rope.dimension_count_swa', ropeDims],
  ] as const) {
    const v = readU32(meta, key(k));
    if (v !== undefined && v !== full)
      throw unimplemented(`${key(k)} = ${v}: sliding-window layers of another head size than the others.`);
  }
  // The llama, qwen2, qwen3 and qwen2moe graph builders assert n_embd_head_v == n_embd_head_k ==
  // n_rot (llama's loader throws "invalid n_rot" first); phi3 and gemma rotate the first n_rot
  // dimensions of each head (Phi-4-mini: 3/4 of them).
  const partialRope = arch === 'phi3' || arch === 'gemma2' || arch === 'gemma3';
  if (partialRope ? ropeDims > headDim || ropeDims < 2 || ropeDims % 2 !== 0 : ropeDims !== headDim) {
    throw refused(
      `${key('rope.dimension_count')} = ${ropeDims} differs from the head size ${headDim} (${key('attention.key_length')}).`,
    );
  }
  if (headDimV !== headDim) {
    throw refused(
      `${key('attention.value_length')} = ${headDimV} differs from ${key('attention.key_length')} = ${headDim}.`,
    );
  }

  // load_arch_hparams: every supported architecture requires the RMSNorm epsilon.
  const rmsEps = readF32(meta, key('attention.layer_norm_rms_epsilon'));
  if (rmsEps === undefined) {
    throw refused(
      `The model's metadata lacks ${key('attention.layer_norm_rms_epsilon')}, which llama.cpp requires for ${arch}.`,
    );
  }
  const tokens = meta.get('tokenizer.ggml.tokens');
  const vocabKey = arch === 'llama' ? readU32(meta, key('vocab_size')) : undefined;
  // llama.cpp sizes token_embd and output by the tokenizer's token count (vocab.n_tokens()).
  const nVocab = tokens?.values?.length ?? vocabKey ?? tensorDims?.('token_embd.weight')?.[1] ?? Number.NaN;

  let nExperts = 0;
  let nExpertsUsed = 0;
  let nFf = nFfKey;
  let nFfShared = 0;
  if (arch === 'llama' && nExpertsKey > 0) {
    // Mixtral: llama with experts, each of width feed_forward_length (src/models/llama.cpp).
    nExperts = nExpertsKey;
    nExpertsUsed = nExpertsUsedKey;
  } else if (arch === 'qwen2moe') {
    if (nExpertsKey === 0) throw refused(`${key('expert_count')} is absent or 0; qwen2moe needs experts.`);
    nExperts = nExpertsKey;
    nExpertsUsed = nExpertsUsedKey;
    // src/models/qwen2moe.cpp: n_ff_exp falls back to n_ff / n_expert_used, n_ff_shexp to n_ff.
    const expLayers = readU32PerLayer(meta, key('expert_feed_forward_length'), nLayers);
    const exp = expLayers ? uniform(key('expert_feed_forward_length'), expLayers) : 0;
    nFf = exp || Math.floor(nFfKey / nExpertsUsed);
    nFfShared = readU32(meta, key('expert_shared_feed_forward_length')) || nFfKey;
    if (nFf === 0 || nFfShared === 0) {
      throw refused(
        `The model's metadata lacks ${key('feed_forward_length')}, which sizes the experts when ${key('expert_feed_forward_length')} ` +
          `or ${key('expert_shared_feed_forward_length')} is absent.`,
      );
    }
  }
  if (nFf === 0) throw refused(`The model's metadata lacks ${key('feed_forward_length')}.`);
  const ropeFreqFactors = arch === 'llama' && tensorDims?.('rope_freqs.weight') !== undefined;
  const ropeLongShortFactors =
    arch === 'phi3' &&
    (tensorDims?.('rope_factors_long.weight') !== undefined ||
      tensorDims?.('rope_factors_short.weight') !== undefined);
  const family = readFamilyHparams(meta, arch, nLayers, { nEmbd, nHeads, headDim, ropeBase, ropeScale });

  const hp: Hparams = {
    arch,
    nLayers,
    nEmbd,
    nHeads,
    nKvHeads,
    headDim,
    nFf,
    nVocab,
    rmsEps,
    ropeBase,
    ropeDims,
    ropeStyle: arch === 'llama' ? 'norm' : 'neox',
    ropeScale,
    ropeFreqFactors,
    ropeLongShortFactors,
    ropeOrigContext,
    ropeAttnFactor,
    ...family,
    contextLength,
    nExperts,
    nExpertsUsed,
    normalizeExpertWeights: arch === 'llama',
    nFfShared,
  };
  const bad = (what: string) =>
    new RuminateError(
      'gguf-invalid',
      `Inconsistent model metadata: ${what}. The file is damaged or mislabelled.`,
    );
  if (!Number.isInteger(nVocab) || nVocab < 1)
    throw bad('no vocabulary size (tokenizer.ggml.tokens is missing)');
  if (nEmbd < 1) throw bad(`${key('embedding_length')} = 0`);
  if (nKvHeads < 1 || nHeads % nKvHeads !== 0) throw bad(`${nHeads} heads over ${nKvHeads} KV heads`);
  if (headDim < 2 || headDim % 2 !== 0) throw bad(`head size ${headDim}`);
  if (!(rmsEps > 0) || !(ropeBase > 1) || !(ropeScale > 0) || !(ropeAttnFactor > 0)) {
    throw bad(
      `RMSNorm epsilon ${rmsEps}, RoPE base ${ropeBase}, RoPE scale ${ropeScale}, RoPE attention factor ${ropeAttnFactor}`,
    );
  }
  if (!(hp.ropeBaseSwa > 1)) throw bad(`${key('rope.freq_base_swa')} = ${hp.ropeBaseSwa}`);
  return hp;
}

/**
 * The RoPE factors tensor a sequence of up to `contextPerSequence` tokens rotates with (llama.cpp
 * `llama_model::get_rope_factors`): Llama 3.1's `rope_freqs.weight`, or Phi-3's long factors when
 * the per-sequence context exceeds the original one and its short factors otherwise; undefined
 * when the model has none.
 */
export function ropeFactorsTensor(hp: Hparams, contextPerSequence: number): string | undefined {
  if (hp.ropeFreqFactors) return 'rope_freqs.weight';
  if (!hp.ropeLongShortFactors) return undefined;
  return contextPerSequence > hp.ropeOrigContext ? 'rope_factors_long.weight' : 'rope_factors_short.weight';
}

/** RoPE base and linear scale of layer `l` (llama.cpp `get_rope_freq_base` / `get_rope_freq_scale`). */
export function layerRope(hp: Hparams, l: number): { base: number; scale: number } {
  return hp.swaLayers[l]
    ? { base: hp.ropeBaseSwa, scale: hp.ropeScaleSwa }
    : { base: hp.ropeBase, scale: hp.ropeScale };
}
