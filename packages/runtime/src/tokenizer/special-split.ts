// Splits text around tokens that are matched verbatim before any model-specific tokenization
// (llama.cpp src/llama-vocab.cpp `tokenizer_st_partition`): each such token, longest text
// first, cuts every remaining text fragment at each of its non-overlapping occurrences, left to
// right. USER_DEFINED tokens are always matched; CONTROL and UNKNOWN tokens only when special
// parsing is on.

import { ATTR_CONTROL, ATTR_UNKNOWN, type Vocab } from './vocab.ts';

/** A piece of input: raw text still to tokenize, or a token already decided. */
export type Fragment = { text: string; id?: undefined } | { id: number; text?: undefined };

/** Partitions `text` into raw-text fragments and verbatim token ids. */
export function splitVerbatimTokens(text: string, vocab: Vocab, parseSpecial: boolean): Fragment[] {
  let fragments: Fragment[] = text === '' ? [] : [{ text }];
  for (const id of vocab.verbatimIds) {
    if (!parseSpecial && vocab.attr(id) & (ATTR_CONTROL | ATTR_UNKNOWN)) continue;
    const needle = vocab.texts[id] as string;
    if (!fragments.some((f) => f.text?.includes(needle))) continue;
    const next: Fragment[] = [];
    for (const f of fragments) {
      if (f.text === undefined) {
        next.push(f);
        continue;
      }
      let from = 0;
      for (;;) {
        const at = f.text.indexOf(needle, from);
        if (at < 0) break;
        if (at > from) next.push({ text: f.text.slice(from, at) });
        next.push({ id });
        from = at + needle.length;
      }
      if (from < f.text.length) next.push({ text: f.text.slice(from) });
    }
    fragments = next;
  }
  return fragments;
}
