// A vocabulary with llama.cpp's per-token attributes (src/llama-vocab.cpp `load`): GGUF token
// types map to attributes, tokens whose text marks an end of generation are forced to CONTROL
// (as llama.cpp does for files converted without the right types), and the tokens matched
// verbatim in text (CONTROL, USER_DEFINED, UNKNOWN) are listed longest first.

import type { TokenizerSpec } from './metadata.ts';

/** Token attribute bits, as llama.cpp's `llama_token_attr`. */
export const ATTR_UNDEFINED = 0;
/** An unknown-token placeholder (`<unk>`). */
export const ATTR_UNKNOWN = 1 << 0;
/** Reserved, never produced. */
export const ATTR_UNUSED = 1 << 1;
/** Ordinary text. */
export const ATTR_NORMAL = 1 << 2;
/** A control token (BOS, EOS, chat markers): matched in text only when special parsing is on. */
export const ATTR_CONTROL = 1 << 3;
/** A user-defined token: always matched verbatim in text, rendered as its text. */
export const ATTR_USER_DEFINED = 1 << 4;
/** A byte-fallback token `<0xXX>`. */
export const ATTR_BYTE = 1 << 5;

const TYPE_TO_ATTR: Record<number, number> = {
  0: ATTR_UNDEFINED,
  1: ATTR_NORMAL,
  2: ATTR_UNKNOWN,
  3: ATTR_CONTROL,
  4: ATTR_USER_DEFINED,
  5: ATTR_UNUSED,
  6: ATTR_BYTE,
};

/** Token texts llama.cpp treats as end of generation (and forces to CONTROL). */
const EOG_TEXTS = new Set([
  '<|eot_id|>',
  '<|im_end|>',
  '<|end|>',
  '<|return|>',
  '<|call|>',
  '<|flush|>',
  '<|calls|>',
  '<end_of_turn>',
  '<|endoftext|>',
  '</s>',
  '<|eom_id|>',
  '<EOT>',
  '_<EOT>',
  '[EOT]',
  '[EOS]',
  '<|end_of_text|>',
  '<end_of_utterance>',
  '<eos>',
  '<turn|>',
  '<|tool_response>',
  '<｜end▁of▁sentence｜>',
  '[e~[',
]);

/** Fill-in-the-middle marker texts that llama.cpp also forces to CONTROL. */
const FIM_TEXTS = new Set([
  '<|fim_prefix|>',
  '<|fim_suffix|>',
  '<|fim_middle|>',
  '<|fim_pad|>',
  '<|repo_name|>',
  '<|file_sep|>',
]);

const utf8 = new TextEncoder();

/** Token texts, scores, attributes and lookup tables of one vocabulary. */
export class Vocab {
  /** Token text by id (empty texts replaced by `[EMPTY_<id>]`, as llama.cpp does). */
  readonly texts: readonly string[];
  /** Merge score by id (SentencePiece); 0 when the file has none. */
  readonly scores: Float32Array;
  /** ATTR_* bits by id. */
  readonly attrs: Uint8Array;
  /** Token id by text (the last id wins for duplicate texts). */
  readonly idOf: ReadonlyMap<string, number>;
  /** Ids of CONTROL, USER_DEFINED and UNKNOWN tokens, longest UTF-8 text first. */
  readonly verbatimIds: readonly number[];
  /** Ids that end generation. */
  readonly eogIds: ReadonlySet<number>;

  constructor(spec: TokenizerSpec) {
    const n = spec.tokens.length;
    const texts = spec.tokens.map((t, i) => (t === '' ? `[EMPTY_${i}]` : t));
    const idOf = new Map<string, number>();
    for (let i = 0; i < n; i++) idOf.set(texts[i] as string, i);
    const attrs = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const t = spec.tokenTypes?.[i];
      attrs[i] = t === undefined ? ATTR_NORMAL : (TYPE_TO_ATTR[t] ?? ATTR_UNDEFINED);
    }
    const eog = new Set<number>();
    for (const [text, id] of idOf) {
      if (EOG_TEXTS.has(text)) eog.add(id);
      if (EOG_TEXTS.has(text) || FIM_TEXTS.has(text)) attrs[id] = (attrs[id] as number) | ATTR_CONTROL;
    }
    for (const name of ['eos', 'eot', 'eom'] as const) {
      const id = spec.specialIds[name];
      if (id !== undefined && id >= 0 && id < n) eog.add(id);
    }
    const verbatim: number[] = [];
    const byteLen = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      if ((attrs[i] as number) & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) {
        verbatim.push(i);
        byteLen.set(i, utf8.encode(texts[i] as string).length);
      }
    }
    verbatim.sort((a, b) => (byteLen.get(b) as number) - (byteLen.get(a) as number) || a - b);

    this.texts = texts;
    this.scores = spec.scores ?? new Float32Array(n);
    this.attrs = attrs;
    this.idOf = idOf;
    this.verbatimIds = verbatim;
    this.eogIds = eog;
  }

  /** Number of tokens. */
  get size(): number {
    return this.texts.length;
  }

  /** ATTR_* bits of a token (ATTR_UNDEFINED when out of range). */
  attr(id: number): number {
    return this.attrs[id] ?? ATTR_UNDEFINED;
  }
}
