// Byte-level BPE on one pre-tokenized word, as llama.cpp does it (src/llama-vocab.cpp
// `llm_tokenizer_bpe_session::tokenize`): the word's bytes, in GPT-2 byte encoding, start as
// one symbol per character; the adjacent pair with the lowest merge rank (leftmost on ties) is
// merged until no ranked pair remains. With `ignoreMerges` (Llama-3), a word that is itself a
// token is emitted whole. A final symbol that is not a token falls back to the tokens of its
// single ASCII bytes (llama.cpp's behaviour; other bytes are dropped).

import { PriorityQueue } from './priority-queue.ts';

interface Bigram {
  left: number;
  right: number;
  text: string;
  rank: number;
}

const utf8 = new TextEncoder();

/** Merge ranks of a BPE vocabulary, keyed by `left + ' ' + right`. */
export function parseMerges(merges: readonly string[]): Map<string, number> {
  const ranks = new Map<string, number>();
  merges.forEach((line, rank) => {
    // llama.cpp splits at the first space after the first byte.
    const pos = line.indexOf(' ', 1);
    const key = pos < 0 ? ' ' : `${line.slice(0, pos)} ${line.slice(pos + 1)}`;
    if (!ranks.has(key)) ranks.set(key, rank);
  });
  return ranks;
}

/** Appends the token ids of one byte-encoded word to `out`. */
export function bpeEncodeWord(
  word: string,
  idOf: ReadonlyMap<string, number>,
  ranks: ReadonlyMap<string, number>,
  ignoreMerges: boolean,
  out: number[],
): void {
  const whole = idOf.get(word);
  if (ignoreMerges && whole !== undefined) {
    out.push(whole);
    return;
  }
  // Byte-encoded text is all BMP characters, one code unit each; iterate by code point anyway.
  const text: string[] = Array.from(word);
  const prev = text.map((_, i) => i - 1);
  const next = text.map((_, i) => (i + 1 < text.length ? i + 1 : -1));
  const queue = new PriorityQueue<Bigram>(
    (a, b) => a.rank < b.rank || (a.rank === b.rank && a.left < b.left),
  );
  const addBigram = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const l = text[left] as string;
    const r = text[right] as string;
    const rank = ranks.get(`${l} ${r}`);
    if (rank !== undefined) queue.push({ left, right, text: l + r, rank });
  };
  for (let i = 1; i < text.length; i++) addBigram(i - 1, i);
  for (let bg = queue.pop(); bg !== undefined; bg = queue.pop()) {
    const l = text[bg.left] as string;
    const r = text[bg.right] as string;
    if (l === '' || r === '' || l + r !== bg.text) continue; // outdated
    text[bg.left] = bg.text;
    text[bg.right] = '';
    const after = next[bg.right] as number;
    next[bg.left] = after;
    if (after >= 0) prev[after] = bg.left;
    addBigram(prev[bg.left] as number, bg.left);
    addBigram(bg.left, after);
  }
  for (let i = 0; i !== -1 && i < text.length; i = next[i] as number) {
    const sym = text[i] as string;
    if (sym === '') continue;
    const id = idOf.get(sym);
    if (id !== undefined) {
      out.push(id);
      continue;
    }
    for (const b of utf8.encode(sym)) {
      const single = b < 0x80 ? idOf.get(String.fromCharCode(b)) : undefined;
      if (single !== undefined) out.push(single);
    }
  }
}
