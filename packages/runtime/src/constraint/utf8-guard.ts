// Well-formed UTF-8 under a grammar. XGrammar 0.1.27 checks UTF-8 loosely: any byte from C0
// up starts a sequence and any 80–BF continues it, so a masked sample could still print an
// overlong form, a surrogate or a code point past U+10FFFF — text a JSON parser rejects
// (RFC 8259 §8.1: JSON text is UTF-8). The table of well-formed sequences is the Unicode
// Standard's (Table 3-7): C0, C1 and F5–FF never occur; after E0 the next byte is A0–BF, after
// ED 80–9F, after F0 90–BF, after F4 80–8F. Tokens that are ill-formed inside themselves are
// removed from the grammar's vocabulary; the second byte after a lead a token ends with is
// checked against the next step's mask.

/** The continuation range allowed right after each lead byte whose range is narrower than 80–BF. */
const SECOND_BYTE: ReadonlyMap<number, readonly [number, number]> = new Map([
  [0xe0, [0xa0, 0xbf]],
  [0xed, [0x80, 0x9f]],
  [0xf0, [0x90, 0xbf]],
  [0xf4, [0x80, 0x8f]],
]);

/** True when `bytes` holds no byte or byte pair that well-formed UTF-8 never has (sequences may be cut at either end). */
export function locallyWellFormed(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 0xc0 || b === 0xc1 || b >= 0xf5) return false;
    const range = SECOND_BYTE.get(b);
    const next = bytes[i + 1];
    if (range && next !== undefined && (next < range[0] || next > range[1])) return false;
  }
  return true;
}

/** Per-token first bytes, to narrow a mask after a lead byte (one pass over the vocabulary, at most once per model). */
export class Utf8Guard {
  private readonly first: Int16Array;

  constructor(tokenBytes: (id: number) => Uint8Array, vocabSize: number) {
    this.first = new Int16Array(vocabSize).fill(-1);
    for (let id = 0; id < vocabSize; id++) {
      const b = tokenBytes(id);
      if (b.length > 0) this.first[id] = b[0] as number;
    }
  }

  /** Clears from `mask` the tokens that cannot follow `lastByte` (the last byte of the text so far), when it is a narrow lead. */
  narrow(mask: Uint32Array, lastByte: number | undefined): void {
    const range = lastByte === undefined ? undefined : SECOND_BYTE.get(lastByte);
    if (!range) return;
    for (let id = 0; id < this.first.length; id++) {
      const f = this.first[id] as number;
      if (f >= 0x80 && f <= 0xbf && (f < range[0] || f > range[1])) {
        mask[id >>> 5] = (mask[id >>> 5] as number) & ~(1 << (id & 31));
      }
    }
  }
}
