// A tokenizer built from GGUF metadata that gives the same ids and text as llama.cpp
// (src/llama-vocab.cpp `tokenize` / `detokenize`): verbatim tokens are split out first, then
// SentencePiece or byte-level BPE encodes each text fragment.

import { RuminateError } from '@ruminate/errors';
import { bpeEncodeWord, parseMerges } from './bpe.ts';
import { bytesToBpeText } from './byte-encoding.ts';
import { type GgufMetadataLike, readTokenizerSpec, type TokenizerSpec } from './metadata.ts';
import { preTokenize } from './pre-tokenize.ts';
import { splitVerbatimTokens } from './special-split.ts';
import { spmEncode } from './spm.ts';
import { cleanSpaces, TokenPieces } from './token-pieces.ts';
import { resolveTokenizerConfig, type TokenizerConfig } from './tokenizer-config.ts';
import { utf8Decoder, utf8Encoder, wellFormed } from './utf8.ts';
import { ATTR_CONTROL, ATTR_UNKNOWN, Vocab } from './vocab.ts';

/** Options of `Tokenizer.encode`. */
export interface EncodeOptions {
  /** Match control tokens (`<|im_start|>`, `<s>`, …) written in the text; default false. */
  special?: boolean;
  /** Add BOS/EOS as the model's metadata asks (llama.cpp's `add_special`); default false. */
  addBos?: boolean;
}

/** Options of `Tokenizer.decode`. */
export interface DecodeOptions {
  /** Render control tokens as their text; default false (they render as nothing). */
  special?: boolean;
  /**
   * Drop one leading space from the first token's text, as llama.cpp does for SentencePiece
   * vocabularies (default: the vocabulary's add_space_prefix). Pass false to decode a
   * continuation of earlier text.
   */
  stripLeadingSpace?: boolean;
}

/** Text ↔ token ids for one model, built from its GGUF tokenizer metadata. */
export class Tokenizer {
  /** Resolved settings (type, pre-tokenizer, BOS/EOS behaviour). */
  readonly config: TokenizerConfig;
  /** `tokenizer.chat_template`, when the file has one. */
  readonly chatTemplate: string | undefined;
  /** The vocabulary with llama.cpp's token attributes. */
  readonly vocab: Vocab;
  private readonly ranks: Map<string, number>;
  private readonly pieces: TokenPieces;
  /** BPE ids of recently seen pre-tokenizer words (words repeat a lot in prompts). */
  private readonly wordCache = new Map<string, number[]>();

  /** Builds a tokenizer from parsed `tokenizer.*` metadata. */
  constructor(spec: TokenizerSpec) {
    this.config = resolveTokenizerConfig(spec);
    this.vocab = new Vocab(spec);
    this.ranks = parseMerges(spec.merges ?? []);
    this.pieces = new TokenPieces(this.vocab, this.config.type);
    this.chatTemplate = spec.chatTemplate;
  }

  /** Builds a tokenizer from GGUF metadata (a Map or record of decoded values). */
  static fromMetadata(meta: GgufMetadataLike): Tokenizer {
    return new Tokenizer(readTokenizerSpec(meta));
  }

  /** Number of tokens in the vocabulary. */
  get vocabSize(): number {
    return this.vocab.size;
  }

  /** BOS id, if the model has one. */
  get bosId(): number | undefined {
    return this.config.bosId;
  }

  /** EOS id, if the model has one. */
  get eosId(): number | undefined {
    return this.config.eosId;
  }

  /** Ids that end generation (EOS, EOT, `<|im_end|>`, …). */
  get eogIds(): ReadonlySet<number> {
    return this.vocab.eogIds;
  }

  /** The text of a token as stored in the vocabulary (e.g. `<|im_start|>`, `Ġthe`, `▁the`). */
  tokenText(id: number): string {
    this.checkId(id);
    return this.vocab.texts[id] as string;
  }

  /** True for control and unknown tokens (those `decode` hides unless `special`). */
  isSpecial(id: number): boolean {
    return (this.vocab.attr(id) & (ATTR_CONTROL | ATTR_UNKNOWN)) !== 0;
  }

  /** Token ids of `text`, exactly as llama.cpp's `llama_tokenize(text, add_special, parse_special)`. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const cfg = this.config;
    const addSpecial = opts.addBos ?? false;
    const out: number[] = [];
    const fragments = splitVerbatimTokens(wellFormed(text), this.vocab, opts.special ?? false);
    if (addSpecial && cfg.addBos) out.push(this.requireSpecial(cfg.bosId, 'BOS'));
    let prevSpecial = true;
    for (const f of fragments) {
      if (f.id !== undefined) {
        out.push(f.id);
        prevSpecial = true;
        continue;
      }
      if (cfg.type === 'spm') {
        const t = cfg.addSpacePrefix && prevSpecial ? ` ${f.text}` : f.text;
        spmEncode(t.replaceAll(' ', '\u2581'), this.vocab, cfg.unkId, out);
      } else {
        for (const word of preTokenize(f.text, cfg.pre)) {
          for (const id of this.encodeWord(word)) out.push(id);
        }
      }
      prevSpecial = false;
    }
    if (addSpecial && cfg.addEos) out.push(this.requireSpecial(cfg.eosId, 'EOS'));
    return out;
  }

  /** The UTF-8 bytes token `id` stands for (empty for control tokens unless `special`). */
  tokenBytes(id: number, special = false): Uint8Array {
    this.checkId(id);
    return this.pieces.bytes(id, special);
  }

  /** The bytes of `ids` joined, with llama.cpp's leading-space strip and space cleaning. */
  decodeBytes(ids: readonly number[], opts: DecodeOptions = {}): Uint8Array {
    const special = opts.special ?? false;
    let strip = opts.stripLeadingSpace ?? this.config.addSpacePrefix;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const id of ids) {
      this.checkId(id);
      let p = this.pieces.bytes(id, special);
      if (strip && p[0] === 0x20) p = p.subarray(1);
      strip = false;
      parts.push(p);
      total += p.length;
    }
    const joined = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    return this.config.cleanSpaces ? cleanSpaces(joined) : joined;
  }

  /** Text of `ids`, as llama.cpp's `llama_detokenize(remove_special = false, unparse_special = special)`. */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    return utf8Decoder.decode(this.decodeBytes(ids, opts));
  }

  private encodeWord(word: string): number[] {
    let ids = this.wordCache.get(word);
    if (ids === undefined) {
      ids = [];
      bpeEncodeWord(
        bytesToBpeText(utf8Encoder.encode(word)),
        this.vocab.idOf,
        this.ranks,
        this.config.ignoreMerges,
        ids,
      );
      if (this.wordCache.size >= 16384) this.wordCache.clear();
      if (word.length <= 64) this.wordCache.set(word, ids);
    }
    return ids;
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocab.size) {
      throw new RuminateError(
        'invalid-argument',
        `Token id ${id} is outside the vocabulary (0..${this.vocab.size - 1}). Pass ids produced by this model's tokenizer.`,
        { field: 'ids' },
      );
    }
  }

  private requireSpecial(id: number | undefined, name: string): number {
    if (id === undefined) {
      throw new RuminateError(
        'tokenizer-invalid',
        `The model asks for a ${name} token but its metadata names none in range. Set addBos: false, or fix tokenizer.ggml.${name.toLowerCase()}_token_id.`,
      );
    }
    return id;
  }
}
