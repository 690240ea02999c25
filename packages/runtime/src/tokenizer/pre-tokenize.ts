// Byte-level BPE pre-tokenizers: split text into words before merging. The behaviour follows
// llama.cpp (src/llama-vocab.cpp `llm_tokenizer_bpe`, src/unicode.cpp), whose hand-written
// splitters implement these regexes:
//   gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
//   llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
//           | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   qwen2:  as llama3 with \p{N} (one digit per word)
//   default: [\p{P}\$\+<=>\^~\|]+ , then gpt2, then \p{N}+ , then [0-9][0-9][0-9], each
//            splitting the pieces the previous one produced (matches and gaps both kept).
//   starcoder (also smollm, refact, command-r, …): \p{N} , then gpt2.
// A scan position that no alternative matches becomes a one-code-point word, as in llama.cpp.

import {
  CPT_LETTER,
  CPT_NUMBER,
  CPT_WHITESPACE,
  codePoints,
  cptFlags,
  fromCodePoints,
} from './unicode-classes.ts';

/** Which pre-tokenizer a byte-level BPE vocabulary uses. */
export type PreTokenizerKind = 'gpt2' | 'llama3' | 'qwen2' | 'starcoder' | 'default';

type Splitter = (cps: readonly number[], out: number[][]) => void;

const CR = 0x0d;
const LF = 0x0a;
const APOS = 0x27;
const SPACE = 0x20;

/** Length of a contraction ('s 't 're 've 'm 'll 'd) at `pos`, or 0. */
function contractionLength(cps: readonly number[], pos: number, caseInsensitive: boolean): number {
  if (cps[pos] !== APOS || pos + 1 >= cps.length) return 0;
  const low = (c: number | undefined) =>
    c !== undefined && caseInsensitive && c >= 0x41 && c <= 0x5a ? c + 32 : (c ?? -1);
  const a = low(cps[pos + 1]);
  if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) return 2; // s t m d
  if (pos + 2 >= cps.length) return 0;
  const b = low(cps[pos + 2]);
  if ((a === 0x72 && b === 0x65) || (a === 0x76 && b === 0x65) || (a === 0x6c && b === 0x6c)) return 3; // re ve ll
  return 0;
}

/** Flags at `pos`, 0 past either end (llama.cpp's "out of range" has no flags). */
function flagsAt(cps: readonly number[], pos: number): number {
  const cp = cps[pos];
  return cp === undefined ? 0 : cptFlags(cp);
}

/** Flags including an "in range" bit, for the [^\s\p{L}\p{N}] tests. */
const IN_RANGE = 0x100;
function flagsInRange(cps: readonly number[], pos: number): number {
  const cp = cps[pos];
  return cp === undefined ? 0 : cptFlags(cp) | IN_RANGE;
}

const isOther = (f: number) => (f & IN_RANGE) !== 0 && (f & (CPT_WHITESPACE | CPT_LETTER | CPT_NUMBER)) === 0;

/** Splits one fragment with the gpt2 regex (see file header). */
const splitGpt2: Splitter = (cps, out) => {
  const n = cps.length;
  let start = 0;
  const emit = (end: number) => {
    if (end > start) out.push(cps.slice(start, end) as number[]);
    start = end;
  };
  let pos = 0;
  while (pos < n) {
    const cp = cps[pos] as number;
    const c = contractionLength(cps, pos, false);
    if (c > 0) {
      pos += c;
      emit(pos);
      continue;
    }
    const f2 = cp === SPACE ? flagsInRange(cps, pos + 1) : flagsInRange(cps, pos);
    const sp = cp === SPACE ? 1 : 0;
    if (f2 & CPT_LETTER) {
      pos += sp;
      while (flagsAt(cps, pos) & CPT_LETTER) pos++;
      emit(pos);
      continue;
    }
    if (f2 & CPT_NUMBER) {
      pos += sp;
      while (flagsAt(cps, pos) & CPT_NUMBER) pos++;
      emit(pos);
      continue;
    }
    if (isOther(f2)) {
      pos += sp;
      while (isOther(flagsInRange(cps, pos))) pos++;
      emit(pos);
      continue;
    }
    let ws = 0;
    while (flagsAt(cps, pos + ws) & CPT_WHITESPACE) ws++;
    if (ws > 1 && pos + ws < n) {
      pos += ws - 1; // \s+(?!\S): leave the last space to prefix the next word
      emit(pos);
      continue;
    }
    if (ws > 0) {
      pos += ws;
      emit(pos);
      continue;
    }
    pos++;
    emit(pos);
  }
};

/** Splitter for the llama3 regex family; `digitGroup` is 3 for llama3, 1 for qwen2. */
function makeLlama3Splitter(digitGroup: number): Splitter {
  return (cps, out) => {
    const n = cps.length;
    let start = 0;
    const emit = (end: number) => {
      if (end > start) out.push(cps.slice(start, end) as number[]);
      start = end;
    };
    let pos = 0;
    while (pos < n) {
      const cp = cps[pos] as number;
      const flags = flagsInRange(cps, pos);
      const c = contractionLength(cps, pos, true);
      if (c > 0) {
        pos += c;
        emit(pos);
        continue;
      }
      // [^\r\n\p{L}\p{N}]?\p{L}+
      if (!(cp === CR || cp === LF || flags & CPT_NUMBER)) {
        if (flags & CPT_LETTER || flagsAt(cps, pos + 1) & CPT_LETTER) {
          pos++;
          while (flagsAt(cps, pos) & CPT_LETTER) pos++;
          emit(pos);
          continue;
        }
      }
      // \p{N}{1,digitGroup}
      if (flags & CPT_NUMBER) {
        let run = 0;
        while (flagsAt(cps, pos) & CPT_NUMBER) {
          pos++;
          if (++run === digitGroup) {
            emit(pos);
            run = 0;
          }
        }
        emit(pos);
        continue;
      }
      // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
      const f2 = cp === SPACE ? flagsInRange(cps, pos + 1) : flags;
      if (isOther(f2)) {
        pos += cp === SPACE ? 1 : 0;
        while (isOther(flagsInRange(cps, pos))) pos++;
        while (cps[pos] === CR || cps[pos] === LF) pos++;
        emit(pos);
        continue;
      }
      let ws = 0;
      let lastNewlineEnd = 0;
      while (flagsAt(cps, pos + ws) & CPT_WHITESPACE) {
        const w = cps[pos + ws];
        if (w === CR || w === LF) lastNewlineEnd = pos + ws + 1;
        ws++;
      }
      if (lastNewlineEnd > 0) {
        pos = lastNewlineEnd; // \s*[\r\n]+
        emit(pos);
        continue;
      }
      if (ws > 1 && pos + ws < n) {
        pos += ws - 1; // \s+(?!\S)
        emit(pos);
        continue;
      }
      if (ws > 0) {
        pos += ws; // \s+
        emit(pos);
        continue;
      }
      pos++;
      emit(pos);
    }
  };
}

/** Splits every piece by a global regex, keeping both matches and the gaps between them. */
function regexSplitter(re: RegExp): Splitter {
  return (cps, out) => {
    const text = fromCodePoints(cps);
    let last = 0;
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) {
      const at = m.index ?? 0;
      if (m[0].length === 0) continue;
      if (at > last) out.push(codePoints(text.slice(last, at)));
      out.push(codePoints(m[0]));
      last = at + m[0].length;
    }
    if (last < text.length) out.push(codePoints(text.slice(last)));
  };
}

const SPLITTERS: Record<PreTokenizerKind, Splitter[]> = {
  gpt2: [splitGpt2],
  llama3: [makeLlama3Splitter(3)],
  qwen2: [makeLlama3Splitter(1)],
  starcoder: [regexSplitter(/\p{N}/gu), splitGpt2],
  default: [
    regexSplitter(/[\p{P}$+<=>^~|]+/gu),
    splitGpt2,
    regexSplitter(/\p{N}+/gu),
    regexSplitter(/[0-9][0-9][0-9]/gu),
  ],
};

/** Splits `text` into pre-tokenizer words (as strings), in order, covering all of it. */
export function preTokenize(text: string, kind: PreTokenizerKind): string[] {
  let pieces: number[][] = [codePoints(text)];
  for (const split of SPLITTERS[kind]) {
    const next: number[][] = [];
    for (const p of pieces) if (p.length > 0) split(p, next);
    pieces = next;
  }
  return pieces.map(fromCodePoints);
}
