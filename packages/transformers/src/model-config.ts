// The numbers the engine needs from a transformers.js model's config.json.
import { RuminateError } from '@ruminate/errors';

/** Shapes and ids read from config.json / generation_config.json. */
export interface CausalLmConfig {
  modelType: string;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  hidden: number;
  intermediate: number;
  vocab: number;
  contextLength: number;
  tied: boolean;
  eos: number[];
}

const ids = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : typeof v === 'number' ? [v] : []);

/** Reads a decoder-only config; throws `engine-unsupported` for shapes the engine cannot batch. */
export function readCausalLmConfig(
  config: Record<string, unknown>,
  generation: Record<string, unknown> | undefined,
): CausalLmConfig {
  const num = (key: string, fallback?: number): number => {
    const v = config[key] ?? fallback;
    if (typeof v !== 'number') {
      throw new RuminateError(
        'engine-unsupported',
        `config.json lacks ${key}, which the transformers.js engine needs to hold each sequence's past key values.`,
      );
    }
    return v;
  };
  const heads = num('num_attention_heads');
  const hidden = num('hidden_size');
  return {
    modelType: String(config.model_type ?? 'unknown'),
    layers: num('num_hidden_layers'),
    heads,
    kvHeads: num('num_key_value_heads', heads),
    headDim: num('head_dim', hidden / heads),
    hidden,
    intermediate: num('intermediate_size', 4 * hidden),
    vocab: num('vocab_size'),
    contextLength: num('max_position_embeddings', 2048),
    tied: config.tie_word_embeddings === true,
    eos: [...new Set([...ids(generation?.eos_token_id), ...ids(config.eos_token_id)])],
  };
}

/** Parameters of a dense llama-shaped decoder with this config. */
export function parameterCount(c: CausalLmConfig): number {
  const attention = c.hidden * c.headDim * (2 * c.heads + 2 * c.kvHeads);
  const ffn = 3 * c.hidden * c.intermediate;
  return c.layers * (attention + ffn + 2 * c.hidden) + c.vocab * c.hidden * (c.tied ? 1 : 2) + c.hidden;
}
