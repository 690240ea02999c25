// The model's vocabulary as XGrammar reads it: every token's text in the encoding of its
// tokenizer family (SentencePiece pieces with ▁ and <0xXX> byte tokens are XGrammar's
// "byte_fallback", GPT-2 byte-level BPE symbols its "byte_level"), so the grammar matches the
// same bytes the detokenizer prints. Control, unknown and unused tokens become empty strings,
// which XGrammar never lets a grammar produce; the end-of-generation tokens are its stop tokens.
import { bytesToBpeText } from '../tokenizer/byte-encoding.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { ATTR_BYTE, ATTR_CONTROL, ATTR_NORMAL, ATTR_USER_DEFINED } from '../tokenizer/vocab.ts';
import { locallyWellFormed } from './utf8-guard.ts';

const utf8 = new TextEncoder();

/** The arguments of XGrammar's `TokenizerInfo.createTokenizerInfo`. */
export interface GrammarVocabulary {
  /** Token texts in the tokenizer's own encoding; empty for tokens a grammar may never emit. */
  encoded: string[];
  /** XGrammar's vocabulary type. */
  vocabType: 'byte_fallback' | 'byte_level';
  /** End-of-generation tokens: the only way a complete output ends. */
  stopTokenIds: number[];
}

/** The vocabulary of `tokenizer` for XGrammar. */
export function grammarVocabulary(tokenizer: Tokenizer): GrammarVocabulary {
  const { vocab } = tokenizer;
  const spm = tokenizer.config.type === 'spm';
  const encoded: string[] = new Array(vocab.size);
  for (let id = 0; id < vocab.size; id++) {
    const attr = vocab.attr(id);
    const text = vocab.texts[id] as string;
    // A token that is ill-formed UTF-8 inside itself can never be part of well-formed text.
    if (!locallyWellFormed(tokenizer.tokenBytes(id, true))) encoded[id] = '';
    else if (attr & (ATTR_NORMAL | ATTR_BYTE)) encoded[id] = text;
    // User-defined tokens stand for their literal text: re-encoded in the family's encoding.
    else if (attr & ATTR_USER_DEFINED && !(attr & ATTR_CONTROL))
      encoded[id] = spm ? text.replaceAll(' ', '\u2581') : bytesToBpeText(utf8.encode(text));
    else encoded[id] = '';
  }
  return {
    encoded,
    vocabType: spm ? 'byte_fallback' : 'byte_level',
    stopTokenIds: [...tokenizer.eogIds].sort((a, b) => a - b),
  };
}
