// GPT-2's reversible byte ↔ printable-character map used by byte-level BPE vocabularies
// (openai/gpt-2 encoder.py `bytes_to_unicode`; llama.cpp src/unicode.cpp
// `unicode_byte_to_utf8_map`): printable Latin-1 bytes map to themselves, the other 68 bytes
// to U+0100.. in byte order.

const byteToChar: string[] = new Array(256);
const charToByte = new Map<string, number>();
{
  const keep = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const ch = keep(b) ? String.fromCharCode(b) : String.fromCharCode(256 + n++);
    byteToChar[b] = ch;
    charToByte.set(ch, b);
  }
}

/** The vocabulary character that stands for byte `b`. */
export function byteToUnicode(b: number): string {
  return byteToChar[b & 0xff] as string;
}

/** The byte a vocabulary character stands for, or undefined when it stands for none. */
export function unicodeToByte(ch: string): number | undefined {
  return charToByte.get(ch);
}

/** Maps UTF-8 bytes to their byte-level BPE string. */
export function bytesToBpeText(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += byteToChar[b];
  return s;
}
