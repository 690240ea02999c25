// UTF-8 helpers for detokenization: a decoder that keeps U+FEFF, and the length of the
// prefix of a byte buffer that can be decoded without splitting a character.

/** Decodes UTF-8, replacing invalid sequences with U+FFFD and keeping a leading BOM. */
export const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Encodes a string to UTF-8. */
export const utf8Encoder = new TextEncoder();

/** Replaces lone UTF-16 surrogates with U+FFFD, as UTF-8 encoding would. */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Number of continuation bytes a lead byte announces, or -1 for a byte that cannot lead. */
function continuationCount(b: number): number {
  if (b < 0x80) return 0;
  if (b >= 0xc2 && b <= 0xdf) return 1;
  if (b >= 0xe0 && b <= 0xef) return 2;
  if (b >= 0xf0 && b <= 0xf4) return 3;
  return -1;
}

/**
 * Length of the longest prefix of `bytes` that decodes the same alone as it would followed by
 * more bytes: everything except a trailing lead byte still waiting for its continuation bytes.
 */
export function completeUtf8Length(bytes: Uint8Array, length = bytes.length): number {
  // Find the start of the last character: at most 3 continuation bytes back.
  for (let back = 1; back <= 4 && back <= length; back++) {
    const b = bytes[length - back] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for its lead
    const need = continuationCount(b);
    if (need > 0 && back - 1 < need) return length - back; // incomplete: hold the tail back
    return length;
  }
  return length;
}
