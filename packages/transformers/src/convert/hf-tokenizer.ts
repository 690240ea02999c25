// A GGUF tokenizer as the Hugging Face files transformers.js reads: tokenizer.json (the
// `tokenizers` library's serialisation: https://huggingface.co/docs/tokenizers/api/pre-tokenizers,
// …/models, …/post-processors) and tokenizer_config.json (special tokens, chat template). Byte-level
// BPE only: the pre-tokenizer regexes are the ones llama.cpp's hand-written splitters implement
// (packages/runtime/src/tokenizer/pre-tokenize.ts), so both give the same ids.
import { RuminateError } from '@ruminate/errors';
import type { PreTokenizerKind, Tokenizer } from '@ruminate/runtime';

/** llama.cpp's token types as Ruminate's vocabulary marks them (vocab.ts ATTR_*). */
const ATTR_CONTROL = 1 << 3;
const ATTR_USER_DEFINED = 1 << 4;

/** GPT-2's split regex (llama.cpp `unicode_regex_split`'s gpt2 case; HF ByteLevel's default). */
const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
/** Llama 3's split regex; qwen2 is the same with one digit per word. */
const LLAMA3 =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** The regexes each pre-tokenizer applies in turn, each splitting the pieces the previous one left. */
const SPLITS: Record<PreTokenizerKind, string[]> = {
  gpt2: [GPT2],
  llama3: [LLAMA3],
  qwen2: [LLAMA3.replace('\\p{N}{1,3}', '\\p{N}')],
  starcoder: ['\\p{N}', GPT2],
  default: ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2, '\\p{N}+', '[0-9][0-9][0-9]'],
};

/** tokenizer.json of a byte-level BPE GGUF tokenizer. */
export function hfTokenizerJson(tok: Tokenizer, merges: readonly string[]): Record<string, unknown> {
  const cfg = tok.config;
  if (cfg.type !== 'bpe') {
    throw new RuminateError(
      'tokenizer-unsupported',
      'The GGUF → ONNX converter writes byte-level BPE ("gpt2") tokenizers only; this model has a SentencePiece ("llama") one.',
      { field: 'tokenizer.ggml.model' },
    );
  }
  const texts = tok.vocab.texts;
  const vocab: Record<string, number> = {};
  texts.forEach((text, id) => {
    if (!(text in vocab)) vocab[text] = id;
  });
  const added = texts.flatMap((content, id) => {
    const attr = tok.vocab.attr(id);
    if (!(attr & (ATTR_CONTROL | ATTR_USER_DEFINED))) return [];
    const special = (attr & ATTR_CONTROL) !== 0;
    return [{ id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special }];
  });
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false };
  const splits = SPLITS[cfg.pre].map((pattern) => ({
    type: 'Split',
    pattern: { Regex: pattern },
    behavior: 'Isolated',
    invert: false,
  }));
  const special = (id: number | undefined) => {
    if (id === undefined) return [];
    const name = texts[id] as string;
    return [{ name, id }];
  };
  const before = cfg.addBos ? special(cfg.bosId) : [];
  const after = cfg.addEos ? special(cfg.eosId) : [];
  const piece = (t: { name: string }) => ({ SpecialToken: { id: t.name, type_id: 0 } });
  const specials = Object.fromEntries(
    [...before, ...after].map((t) => [t.name, { id: t.name, ids: [t.id], tokens: [t.name] }]),
  );
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [...splits, byteLevel] },
    post_processor: {
      type: 'TemplateProcessing',
      single: [...before.map(piece), { Sequence: { id: 'A', type_id: 0 } }, ...after.map(piece)],
      pair: [
        ...before.map(piece),
        { Sequence: { id: 'A', type_id: 0 } },
        ...after.map(piece),
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: specials,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: cfg.unkId === undefined ? null : texts[cfg.unkId],
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: cfg.ignoreMerges,
      vocab,
      merges: [...merges],
    },
  };
}

/** tokenizer_config.json: special tokens, BOS/EOS behaviour and the chat template. */
export function hfTokenizerConfig(tok: Tokenizer, contextLength: number): Record<string, unknown> {
  const cfg = tok.config;
  const text = (id: number | undefined) => (id === undefined ? null : tok.vocab.texts[id]);
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: text(cfg.bosId),
    eos_token: text(cfg.eosId),
    unk_token: text(cfg.unkId),
    add_bos_token: cfg.addBos,
    add_eos_token: cfg.addEos,
    // llama.cpp drops the space before punctuation and contractions for these vocabularies (`cleanSpaces`).
    clean_up_tokenization_spaces: cfg.cleanSpaces,
    model_max_length: contextLength,
    ...(tok.chatTemplate ? { chat_template: tok.chatTemplate } : {}),
  };
}
