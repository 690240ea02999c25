// Stop strings that may span several tokens, and the hold-back rule that keeps streamed text
// from showing the start of a stop string (or half a character) before it is known to be text.

/** The earliest occurrence of any stop string that ends after `from` (so a stop spanning old and new text is found). */
export function findStop(
  text: string,
  stops: readonly string[],
  from: number,
): { index: number; stop: string } | null {
  let best: { index: number; stop: string } | null = null;
  for (const stop of stops) {
    if (stop.length === 0) continue;
    const start = Math.max(0, from - stop.length + 1);
    const index = text.indexOf(stop, start);
    if (index >= 0 && (best === null || index < best.index)) best = { index, stop };
  }
  return best;
}

/** Length of the longest suffix of `text` that is a proper prefix of a stop string. */
export function stopPrefixLength(text: string, stops: readonly string[]): number {
  let longest = 0;
  for (const stop of stops) {
    for (let k = Math.min(stop.length - 1, text.length); k > longest; k--) {
      if (text.endsWith(stop.slice(0, k))) {
        longest = k;
        break;
      }
    }
  }
  return longest;
}

/**
 * How much of `text` can be shown now: everything but a possible stop-string prefix at the end,
 * a trailing U+FFFD (an engine that substitutes incomplete bytes may still complete them), and a
 * lone high surrogate.
 */
export function stableLength(text: string, stops: readonly string[]): number {
  let n = text.length - stopPrefixLength(text, stops);
  while (n > 0) {
    const c = text.charCodeAt(n - 1);
    if (c === 0xfffd || (c >= 0xd800 && c <= 0xdbff)) n--;
    else break;
  }
  return n;
}

/** Index just past the first `delimiter` that follows some non-whitespace text, or -1. */
export function findStepEnd(stepText: string, delimiter: string): number {
  const first = stepText.search(/\S/);
  if (first < 0 || delimiter.length === 0) return -1;
  const at = stepText.indexOf(delimiter, first);
  return at < 0 ? -1 : at + delimiter.length;
}
