// The bytes each token stands for, as llama.cpp's `token_to_piece` (src/llama-vocab.cpp):
// control and unknown tokens render as their text only when asked for (`special`),
// user-defined tokens always as their text; SentencePiece pieces turn ▁ back into spaces and
// byte tokens `<0xXX>` into their byte; byte-level BPE pieces map each character back to the
// byte it encodes. Unused and undefined tokens render as nothing.

import { unicodeToByte } from './byte-encoding.ts';
import {
  ATTR_BYTE,
  ATTR_CONTROL,
  ATTR_NORMAL,
  ATTR_UNKNOWN,
  ATTR_USER_DEFINED,
  type Vocab,
} from './vocab.ts';

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Which family of vocabulary a piece table is for. */
export type PieceStyle = 'spm' | 'bpe';

function byteOfToken(text: string): number {
  return Number.parseInt(text.slice(3, 5), 16) & 0xff;
}

function decodeByteLevel(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const b = unicodeToByte(ch);
    if (b !== undefined) {
      out.push(b);
      continue;
    }
    // llama.cpp `llama_decode_text` writes this marker for characters outside the byte map.
    const hex = Array.from(utf8.encode(ch), (x) => x.toString(16).padStart(2, '0')).join('');
    out.push(...utf8.encode(`[UNK_BYTE_0x${hex}${text}]`));
  }
  return Uint8Array.from(out);
}

/** Piece bytes of every token (with `special` on), computed on first use and cached, as llama.cpp caches them. */
export class TokenPieces {
  private readonly pieces: (Uint8Array | undefined)[];

  constructor(
    private readonly vocab: Vocab,
    private readonly style: PieceStyle,
  ) {
    this.pieces = new Array(vocab.size);
  }

  /** The bytes of token `id`; control/unknown tokens give nothing unless `special`. Empty when out of range. */
  bytes(id: number, special: boolean): Uint8Array {
    const attr = this.vocab.attr(id);
    if (id < 0 || id >= this.vocab.size) return EMPTY;
    if (!special && attr & (ATTR_UNKNOWN | ATTR_CONTROL)) return EMPTY;
    let p = this.pieces[id];
    if (p === undefined) {
      p = this.compute(this.vocab.texts[id] as string, attr);
      this.pieces[id] = p;
    }
    return p;
  }

  private compute(text: string, attr: number): Uint8Array {
    if (attr & (ATTR_UNKNOWN | ATTR_CONTROL | ATTR_USER_DEFINED)) return utf8.encode(text);
    if (attr & ATTR_NORMAL) {
      return this.style === 'spm' ? utf8.encode(text.replaceAll('\u2581', ' ')) : decodeByteLevel(text);
    }
    if (attr & ATTR_BYTE) return Uint8Array.of(byteOfToken(text));
    return EMPTY;
  }
}

const SP = 0x20;
const APOS = 0x27;

/**
 * llama.cpp's `clean_spaces` post-processing of detokenized BPE text (three in-place passes
 * over bytes): drop a space before ? ! . , ; turn " ' " into "'"; drop the space before 's 'm 're 've.
 */
export function cleanSpaces(input: Uint8Array): Uint8Array {
  const t = Uint8Array.from(input);
  // Pass 1: " ?", " !", " .", " ,".
  let total = t.length > 0 ? 1 : 0;
  const n1 = t.length;
  for (let i = 1; i < n1; i++) {
    const x = t[i] as number;
    if (t[i - 1] === SP && (x === 0x3f || x === 0x21 || x === 0x2e || x === 0x2c)) total--;
    t[total++] = x;
  }
  // Pass 2: a single apostrophe between spaces.
  const n2 = total;
  total = n2 > 0 ? 1 : 0;
  for (let i = 1; i < n2; i++) {
    const x = t[i] as number;
    if (x === APOS && i + 1 < n2 && t[i - 1] === SP && t[i + 1] === SP) {
      total--;
      t[++i] = 0;
    }
    t[total++] = x;
  }
  // Pass 3: contractions 's 'm 're 've lose their leading space.
  const n3 = total;
  total = n3 > 0 ? 1 : 0;
  for (let i = 1; i < n3; i++) {
    const x = t[i] as number;
    if (t[i - 1] === SP && x === APOS && i + 1 < n3) {
      const x1 = t[i + 1] as number;
      if (x1 === 0x73 || x1 === 0x6d) total--;
      else if (i + 2 < n3) {
        const x2 = t[i + 2] as number;
        if ((x1 === 0x72 || x1 === 0x76) && x2 === 0x65) total--;
      }
    }
    t[total++] = x;
  }
  return t.subarray(0, total);
}
