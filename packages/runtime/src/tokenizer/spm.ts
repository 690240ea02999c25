// SentencePiece BPE as llama.cpp runs it (src/llama-vocab.cpp `llm_tokenizer_spm_session`):
// the text (spaces already escaped to U+2581 ▁) starts as one symbol per code point; every
// adjacent pair whose concatenation is a token is queued by that token's score, and the
// highest-scoring pair (leftmost on ties) is merged until the queue is empty. A final symbol
// that is not a token is emitted as byte-fallback tokens `<0xXX>`, one per UTF-8 byte.

import { RuminateError } from '@ruminate/errors';
import { PriorityQueue } from './priority-queue.ts';
import type { Vocab } from './vocab.ts';

interface Bigram {
  left: number;
  right: number;
  score: number;
  size: number;
}

const utf8 = new TextEncoder();
const HEX = '0123456789ABCDEF';

/** The id of the byte-fallback token for byte `b` (`<0xXX>`, else the byte itself, else `<unk>`). */
export function spmByteToken(vocab: Vocab, b: number, unkId: number | undefined): number {
  const id =
    vocab.idOf.get(`<0x${HEX[b >> 4]}${HEX[b & 15]}>`) ??
    (b < 0x80 ? vocab.idOf.get(String.fromCharCode(b)) : undefined);
  if (id !== undefined) return id;
  if (unkId !== undefined) return unkId;
  throw new RuminateError(
    'tokenizer-invalid',
    `The SentencePiece vocabulary has no byte-fallback token <0x${HEX[b >> 4]}${HEX[b & 15]}> and no unknown token, so this text cannot be tokenized. Use a model converted with byte fallback.`,
  );
}

/** Appends the SentencePiece token ids of `text` (spaces already escaped) to `out`. */
export function spmEncode(text: string, vocab: Vocab, unkId: number | undefined, out: number[]): void {
  // Symbols as [start, length) in UTF-16 units of `text`, one code point each to begin with.
  const start: number[] = [];
  const len: number[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) as number;
    const n = cp > 0xffff ? 2 : 1;
    start.push(i);
    len.push(n);
    i += n;
  }
  const count = start.length;
  const prev = start.map((_, i) => i - 1);
  const next = start.map((_, i) => (i + 1 < count ? i + 1 : -1));
  const queue = new PriorityQueue<Bigram>(
    (a, b) => a.score > b.score || (a.score === b.score && a.left < b.left),
  );
  const tryAdd = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const s = start[left] as number;
    const size = (len[left] as number) + (len[right] as number);
    const id = vocab.idOf.get(text.slice(s, s + size));
    if (id === undefined) return;
    queue.push({ left, right, score: vocab.scores[id] as number, size });
  };
  for (let i = 1; i < count; i++) tryAdd(i - 1, i);
  for (let bg = queue.pop(); bg !== undefined; bg = queue.pop()) {
    const ln = len[bg.left] as number;
    const rn = len[bg.right] as number;
    if (ln === 0 || rn === 0 || ln + rn !== bg.size) continue; // a side was merged since
    len[bg.left] = ln + rn;
    len[bg.right] = 0;
    const after = next[bg.right] as number;
    next[bg.left] = after;
    if (after >= 0) prev[after] = bg.left;
    tryAdd(prev[bg.left] as number, bg.left);
    tryAdd(bg.left, after);
  }
  for (let i = count > 0 ? 0 : -1; i !== -1; i = next[i] as number) {
    const s = start[i] as number;
    const piece = text.slice(s, s + (len[i] as number));
    const id = vocab.idOf.get(piece);
    if (id !== undefined) {
      out.push(id);
      continue;
    }
    for (const b of utf8.encode(piece)) out.push(spmByteToken(vocab, b, unkId));
  }
}
