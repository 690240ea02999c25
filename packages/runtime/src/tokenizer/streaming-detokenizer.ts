// Turns a stream of token ids into text chunks whose concatenation equals
// `tokenizer.decode(allIds)`: a chunk never ends inside a UTF-8 character (incomplete bytes are
// held until the next token completes them), and, for vocabularies whose detokenized text gets
// llama.cpp's space cleaning, bytes are held while a later token could still change them (a
// chunk is only cut where its last two bytes are neither a space nor an apostrophe, which no
// cleaning rule can look across).

import { cleanSpaces } from './token-pieces.ts';
import type { DecodeOptions, Tokenizer } from './tokenizer.ts';
import { completeUtf8Length, utf8Decoder } from './utf8.ts';

const SP = 0x20;
const APOS = 0x27;

/** Incremental detokenizer: `push` ids one by one, `flush` at the end. */
export class StreamingDetokenizer {
  private pending: number[] = [];
  private before1 = -1; // last emitted byte (-1: none)
  private before2 = -1; // the one before it
  private first = true;
  private readonly special: boolean;
  private readonly strip: boolean;

  constructor(
    private readonly tokenizer: Tokenizer,
    opts: DecodeOptions = {},
  ) {
    this.special = opts.special ?? false;
    this.strip = opts.stripLeadingSpace ?? tokenizer.config.addSpacePrefix;
  }

  /** Adds one token; returns the text that became final (possibly ''). */
  push(id: number): string {
    let bytes = this.tokenizer.tokenBytes(id, this.special);
    if (this.first) {
      if (this.strip && bytes[0] === SP) bytes = bytes.subarray(1);
      this.first = false;
    }
    for (const b of bytes) this.pending.push(b);
    return this.emit(this.cutPoint());
  }

  /** Returns whatever is still held (incomplete UTF-8 becomes U+FFFD) and resets for reuse. */
  flush(): string {
    const text = this.emit(this.pending.length);
    this.pending = [];
    this.before1 = -1;
    this.before2 = -1;
    this.first = true;
    return text;
  }

  /** Largest prefix length of `pending` that can be emitted now. */
  private cutPoint(): number {
    const p = this.pending;
    const bytes = Uint8Array.from(p);
    const complete = completeUtf8Length(bytes);
    if (!this.tokenizer.config.cleanSpaces) return complete;
    const at = (i: number) => (i >= 0 ? (p[i] as number) : i === -1 ? this.before1 : this.before2);
    for (let q = complete; q > 0; q--) {
      if (q < p.length && ((p[q] as number) & 0xc0) === 0x80) continue; // inside a character
      const a = at(q - 1);
      const b = at(q - 2);
      if (a !== SP && a !== APOS && b !== SP && b !== APOS) return q;
    }
    return 0;
  }

  private emit(q: number): string {
    if (q === 0) return '';
    const head = Uint8Array.from(this.pending.slice(0, q));
    this.pending = this.pending.slice(q);
    this.before2 = q >= 2 ? (head[q - 2] as number) : this.before1;
    this.before1 = head[q - 1] as number;
    return utf8Decoder.decode(this.tokenizer.config.cleanSpaces ? cleanSpaces(head) : head);
  }
}
