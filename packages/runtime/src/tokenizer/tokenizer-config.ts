// How llama.cpp configures a vocabulary from `tokenizer.ggml.model` and `tokenizer.ggml.pre`
// (src/llama-vocab.cpp `llama_vocab::impl::load`): which pre-tokenizer, whether whole words
// skip merging, the BOS/EOS/space-prefix defaults the metadata may override, and whether
// detokenized text gets its spaces cleaned.

import { RuminateError } from '@ruminate/errors';
import type { TokenizerSpec } from './metadata.ts';
import type { PreTokenizerKind } from './pre-tokenize.ts';

/** Resolved behaviour of one tokenizer. */
export interface TokenizerConfig {
  /** `spm` (SentencePiece, `tokenizer.ggml.model = llama`) or `bpe` (byte-level, `gpt2`). */
  type: 'spm' | 'bpe';
  /** Pre-tokenizer of a BPE vocabulary. */
  pre: PreTokenizerKind;
  /** Emit a pre-token whole when it is itself a token (Llama-3). */
  ignoreMerges: boolean;
  /** Prepend BOS when special tokens are added. */
  addBos: boolean;
  /** Append EOS when special tokens are added. */
  addEos: boolean;
  /** SentencePiece: prefix a space to text at the start and after each special token. */
  addSpacePrefix: boolean;
  /** Post-process detokenized text (drop spaces before punctuation and contractions). */
  cleanSpaces: boolean;
  /** BOS id, if any. */
  bosId: number | undefined;
  /** EOS id, if any. */
  eosId: number | undefined;
  /** Unknown-token id, if any. */
  unkId: number | undefined;
}

interface PreEntry {
  kind: PreTokenizerKind;
  ignoreMerges?: boolean;
  addBos?: boolean;
  cleanSpaces?: boolean;
}

const LLAMA3: PreEntry = { kind: 'llama3', ignoreMerges: true, addBos: true };
const GPT2: PreEntry = { kind: 'gpt2' };
const STARCODER: PreEntry = { kind: 'starcoder' };

/** `tokenizer.ggml.pre` values this runtime implements, with llama.cpp's settings for each. */
const PRE_TYPES: Record<string, PreEntry> = {
  default: { kind: 'default' },
  llama3: LLAMA3,
  'llama-v3': LLAMA3,
  'llama-bpe': LLAMA3,
  falcon3: LLAMA3,
  'falcon-h1': LLAMA3,
  pixtral: LLAMA3,
  'midm-2.0': LLAMA3,
  lfm2: LLAMA3,
  'jina-v5-nano': LLAMA3,
  'gpt-2': GPT2,
  // Not a name llama.cpp accepts (it refuses the file); read as gpt-2 rather than failing.
  gpt2: GPT2,
  'phi-2': GPT2,
  'jina-es': GPT2,
  'jina-de': GPT2,
  gigachat: GPT2,
  'a.x-4.0': GPT2,
  mellum: GPT2,
  mpt: GPT2,
  olmo: GPT2,
  jais: GPT2,
  exaone4: GPT2,
  qwen2: { kind: 'qwen2', cleanSpaces: false },
  'deepseek-r1-qwen': { kind: 'qwen2', cleanSpaces: false },
  kormo: { kind: 'qwen2', cleanSpaces: false },
  f2llmv2: { kind: 'qwen2', cleanSpaces: false },
  megrez: { kind: 'qwen2' },
  stablelm2: { kind: 'qwen2' },
  smollm: { kind: 'starcoder', cleanSpaces: false },
  starcoder: STARCODER,
  refact: STARCODER,
  codeshell: STARCODER,
  exaone: STARCODER,
  'minerva-7b': STARCODER,
  'command-r': { kind: 'starcoder', cleanSpaces: false },
};

/** Names accepted in `tokenizer.ggml.pre`. */
export const SUPPORTED_PRE_TYPES: readonly string[] = Object.keys(PRE_TYPES);

function idOrDefault(id: number | undefined, fallback: number | undefined, n: number): number | undefined {
  const def = fallback !== undefined && fallback < n ? fallback : undefined;
  return id !== undefined && id >= 0 && id < n ? id : def;
}

/** Resolves llama.cpp's tokenizer settings; throws `tokenizer-unsupported` for other models. */
export function resolveTokenizerConfig(spec: TokenizerSpec): TokenizerConfig {
  const n = spec.tokens.length;
  if (spec.model === 'llama') {
    return {
      type: 'spm',
      pre: 'default',
      ignoreMerges: false,
      addBos: spec.addBos ?? true,
      addEos: spec.addEos ?? false,
      addSpacePrefix: spec.addSpacePrefix ?? true,
      cleanSpaces: false,
      bosId: idOrDefault(spec.specialIds.bos, 1, n),
      eosId: idOrDefault(spec.specialIds.eos, 2, n),
      unkId: idOrDefault(spec.specialIds.unk, 0, n),
    };
  }
  if (spec.model === 'gpt2') {
    if (spec.merges === undefined) {
      throw new RuminateError(
        'tokenizer-invalid',
        'A byte-level BPE ("gpt2") tokenizer needs "tokenizer.ggml.merges", which this file lacks. Re-convert the model with its merges.',
        { field: 'tokenizer.ggml.merges' },
      );
    }
    const preName = spec.pre === undefined || spec.pre === '' ? 'default' : spec.pre;
    const entry = PRE_TYPES[preName];
    if (entry === undefined) {
      throw new RuminateError(
        'tokenizer-unsupported',
        `Pre-tokenizer "${preName}" (tokenizer.ggml.pre) is not supported. Supported: ${SUPPORTED_PRE_TYPES.join(', ')}.`,
        { field: 'tokenizer.ggml.pre' },
      );
    }
    return {
      type: 'bpe',
      pre: entry.kind,
      ignoreMerges: entry.ignoreMerges ?? false,
      addBos: spec.addBos ?? entry.addBos ?? false,
      addEos: spec.addEos ?? false,
      addSpacePrefix: spec.addSpacePrefix ?? false,
      cleanSpaces: entry.cleanSpaces ?? true,
      bosId: idOrDefault(spec.specialIds.bos, 11, n),
      eosId: idOrDefault(spec.specialIds.eos, 11, n),
      unkId: idOrDefault(spec.specialIds.unk, undefined, n),
    };
  }
  throw new RuminateError(
    'tokenizer-unsupported',
    `Tokenizer model "${spec.model}" (tokenizer.ggml.model) is not supported; Ruminate reads "gpt2" (byte-level BPE) and "llama" (SentencePiece).`,
    { field: 'tokenizer.ggml.model' },
  );
}
