// Code point classes used by the BPE pre-tokenizers, with llama.cpp's definitions
// (src/unicode.cpp, src/unicode-data.cpp): \p{L} and \p{N} are the Unicode general
// categories, and "whitespace" is the Unicode White_Space set — which, unlike JavaScript's
// `\s`, includes U+0085 and excludes U+FEFF.

const LETTER = /^\p{L}$/u;
const NUMBER = /^\p{N}$/u;
const PUNCT = /^\p{P}$/u;

/** Bit flags of one code point: letter, number, whitespace, punctuation. */
export const CPT_LETTER = 1;
/** The code point is in \p{N}. */
export const CPT_NUMBER = 2;
/** The code point is Unicode White_Space. */
export const CPT_WHITESPACE = 4;
/** The code point is in \p{P}. */
export const CPT_PUNCT = 8;

/** True for the code points llama.cpp treats as whitespace. */
export function isWhitespaceCpt(cp: number): boolean {
  return (
    (cp >= 0x09 && cp <= 0x0d) ||
    cp === 0x20 ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

const asciiFlags = new Uint8Array(128);
for (let cp = 0; cp < 128; cp++) asciiFlags[cp] = computeFlags(cp);
const flagCache = new Map<number, number>();

function computeFlags(cp: number): number {
  const ch = String.fromCodePoint(cp);
  let f = 0;
  if (LETTER.test(ch)) f |= CPT_LETTER;
  if (NUMBER.test(ch)) f |= CPT_NUMBER;
  if (PUNCT.test(ch)) f |= CPT_PUNCT;
  if (isWhitespaceCpt(cp)) f |= CPT_WHITESPACE;
  return f;
}

/** Category flags of a code point (CPT_* bits), memoised. */
export function cptFlags(cp: number): number {
  if (cp < 128) return asciiFlags[cp] as number;
  let f = flagCache.get(cp);
  if (f === undefined) {
    f = computeFlags(cp);
    if (flagCache.size < 65536) flagCache.set(cp, f);
  }
  return f;
}

/** The code points of a string (lone surrogates become U+FFFD, as in UTF-8 encoding). */
export function codePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    out.push(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);
  }
  return out;
}

/** The string of a code point array (chunked, so long arrays do not overflow the call stack). */
export function fromCodePoints(cps: readonly number[]): string {
  let s = '';
  for (let i = 0; i < cps.length; i += 8192) s += String.fromCodePoint(...cps.slice(i, i + 8192));
  return s;
}
