// Architecture hyper-parameters from GGUF metadata. Key names follow llama.cpp's
// `LLM_KV_*` table (src/llama-arch.cpp) and the GGUF spec's "LLM" section
// (ggml/docs/gguf.md): `<arch>.block_count`, `<arch>.embedding_length`, …
import { RuminateError } from '@ruminate/gpu';

/** Architectures Ruminate runs (`general.architecture`). */
export type Architecture = 'llama' | 'qwen2' | 'qwen3' | 'qwen2moe';

/** The architectures, for messages and checks. */
export const ARCHITECTURES: readonly Architecture[] = ['llama', 'qwen2', 'qwen3', 'qwen2moe'];

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
  /** Dimensions rotated by RoPE (≤ headDim). */
  ropeDims: number;
  /** RoPE pairing. */
  ropeStyle: RopeStyle;
  /** Trained context length. */
  contextLength: number;
  /** Experts per MoE layer (0: dense). */
  nExperts: number;
  /** Experts used per token. */
  nExpertsUsed: number;
  /** Renormalise the selected experts' softmax weights to sum to one (mixtral yes, qwen2moe no). */
  normalizeExpertWeights: boolean;
  /** Shared-expert feed-forward width (qwen2moe; 0 when absent). */
  nFfShared: number;
}

/** A metadata value as the GGUF parser stores it (only scalars are read here). */
export interface MetadataValue {
  /** GGUF value type. */
  type: string;
  /** Scalar payload. */
  value?: unknown;
}

/** Reads the hyper-parameters of a supported architecture from GGUF metadata. */
export function readHparams(
  metadata: ReadonlyMap<string, MetadataValue>,
  tensorDims?: (name: string) => readonly number[] | undefined,
): Hparams {
  const archValue = metadata.get('general.architecture')?.value;
  if (typeof archValue !== 'string' || !(ARCHITECTURES as readonly string[]).includes(archValue)) {
    throw new RuminateError(
      'gguf-unsupported',
      `Architecture "${String(archValue)}" is not supported; Ruminate runs ${ARCHITECTURES.join(', ')} ` +
        '(mixtral files are llama with experts).',
    );
  }
  const arch = archValue as Architecture;
  const num = (key: string, fallback?: number): number => {
    const v = metadata.get(`${arch}.${key}`)?.value;
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n === 'number' && Number.isFinite(n)) return n;
    if (fallback !== undefined) return fallback;
    throw new RuminateError(
      'gguf-invalid',
      `The model's metadata lacks ${arch}.${key}; the file is incomplete.`,
    );
  };
  const nEmbd = num('embedding_length');
  const nHeads = num('attention.head_count');
  const headDim = num('attention.key_length', nEmbd / nHeads);
  const vocabDims = tensorDims?.('token_embd.weight');
  const tokens = metadata.get('tokenizer.ggml.tokens') as { values?: unknown[] } | undefined;
  const nVocab = num('vocab_size', vocabDims?.[1] ?? tokens?.values?.length ?? Number.NaN);
  const nExperts = num('expert_count', 0);
  const hp: Hparams = {
    arch,
    nLayers: num('block_count'),
    nEmbd,
    nHeads,
    nKvHeads: num('attention.head_count_kv', nHeads),
    headDim,
    nFf:
      nExperts > 0
        ? num('expert_feed_forward_length', num('feed_forward_length', 0))
        : num('feed_forward_length'),
    nVocab,
    rmsEps: num('attention.layer_norm_rms_epsilon', 1e-5),
    ropeBase: num('rope.freq_base', 10000),
    ropeDims: num('rope.dimension_count', headDim),
    ropeStyle: arch === 'llama' ? 'norm' : 'neox',
    contextLength: num('context_length', 2048),
    nExperts,
    nExpertsUsed: num('expert_used_count', 0),
    normalizeExpertWeights: arch === 'llama',
    nFfShared: arch === 'qwen2moe' ? num('expert_shared_feed_forward_length', 0) : 0,
  };
  const bad = (what: string) =>
    new RuminateError(
      'gguf-invalid',
      `Inconsistent model metadata: ${what}. The file is damaged or mislabelled.`,
    );
  for (const [k, v] of Object.entries(hp)) {
    if (typeof v === 'number' && (!Number.isInteger(v) || v < 0) && k !== 'rmsEps' && k !== 'ropeBase') {
      throw bad(`${k} = ${v}`);
    }
  }
  if (hp.nLayers < 1 || hp.nEmbd < 1 || hp.nHeads < 1 || hp.nVocab < 1) throw bad('a zero dimension');
  if (hp.nKvHeads < 1 || hp.nHeads % hp.nKvHeads !== 0)
    throw bad(`${hp.nHeads} heads over ${hp.nKvHeads} KV heads`);
  if (hp.headDim % 2 !== 0 || hp.ropeDims > hp.headDim || hp.ropeDims % 2 !== 0) {
    throw bad(`head dim ${hp.headDim}, rope dims ${hp.ropeDims}`);
  }
  if (hp.nExperts > 0 && (hp.nExpertsUsed < 1 || hp.nExpertsUsed > hp.nExperts)) {
    throw bad(`${hp.nExpertsUsed} of ${hp.nExperts} experts used`);
  }
  return hp;
}
