// config.json and generation_config.json of a converted model, in the Hugging Face layout
// transformers.js reads (https://huggingface.co/docs/transformers/main_classes/configuration).
import type { Hparams, Tokenizer } from '@ruminate/runtime';

/** The Hugging Face class of each architecture the converter writes. */
const CLASS_OF: Record<string, string> = {
  llama: 'LlamaForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  qwen3: 'Qwen3ForCausalLM',
};

/** config.json for `hp`; `transformers.js_config.dtype` makes fp32 the default on every device. */
export function hfModelConfig(hp: Hparams, tok: Tokenizer, tiedEmbeddings: boolean): Record<string, unknown> {
  const eos = [...tok.eogIds].sort((a, b) => a - b);
  return {
    architectures: [CLASS_OF[hp.arch]],
    model_type: hp.arch,
    hidden_size: hp.nEmbd,
    intermediate_size: hp.nFf,
    num_hidden_layers: hp.nLayers,
    num_attention_heads: hp.nHeads,
    num_key_value_heads: hp.nKvHeads,
    head_dim: hp.headDim,
    max_position_embeddings: hp.contextLength,
    rms_norm_eps: hp.rmsEps,
    rope_theta: hp.ropeBase,
    vocab_size: hp.nVocab,
    hidden_act: 'silu',
    tie_word_embeddings: tiedEmbeddings,
    bos_token_id: tok.bosId ?? null,
    eos_token_id: eos.length === 1 ? eos[0] : eos,
    torch_dtype: 'float32',
    use_cache: true,
    'transformers.js_config': { dtype: 'fp32' },
  };
}

/** generation_config.json: the ids generation starts and stops on. */
export function hfGenerationConfig(tok: Tokenizer): Record<string, unknown> {
  const eos = [...tok.eogIds].sort((a, b) => a - b);
  return {
    bos_token_id: tok.bosId ?? null,
    eos_token_id: eos.length === 1 ? eos[0] : eos,
    pad_token_id: tok.eosId ?? null,
  };
}
