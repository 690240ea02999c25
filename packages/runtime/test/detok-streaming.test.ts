import { freshSeed, seededRandom } from '@ruminate/gpu/testing';
import { describe, expect, it } from 'vitest';
import {
  type FixtureVocab,
  gpt2Vocab,
  llamaBpeVocab,
  qwen2Vocab,
  spmVocab,
} from '../../../tools/fixtures/vocab/index.ts';
import { bytesToBpeText } from '../src/tokenizer/byte-encoding.ts';
import { StreamingDetokenizer } from '../src/tokenizer/streaming-detokenizer.ts';
import { cleanSpaces } from '../src/tokenizer/token-pieces.ts';
import { Tokenizer } from '../src/tokenizer/tokenizer.ts';

const fixtures: [string, Tokenizer][] = (
  [
    ['llama-bpe', llamaBpeVocab()],
    ['qwen2', qwen2Vocab()],
    ['gpt-2', gpt2Vocab()],
    ['spm', spmVocab()],
  ] as [string, FixtureVocab][]
).map(([name, v]) => [name, Tokenizer.fromMetadata(new Map(v.metadata))]);

const TEXTS = [
  'Emoji 😀🎉👍🏽❤️ and CJK 日本語のテキスト, 한국어.',
  "It 's a ' test , isn't it ? We 're sure 've 'm 's . Done !",
  '  spaces   and\ttabs\nand\r\nnewlines  ',
  'Ελληνικά Привет café naïve 12345',
];

/** Streams `ids` through a fresh detokenizer; returns the chunks (the flush last). */
function stream(tok: Tokenizer, ids: number[], special: boolean): string[] {
  const d = new StreamingDetokenizer(tok, { special });
  const chunks = ids.map((id) => d.push(id));
  chunks.push(d.flush());
  return chunks;
}

describe('StreamingDetokenizer', () => {
  it('concatenates to decode() for random id sequences (any bytes, special on and off)', () => {
    const seed = freshSeed();
    const rand = seededRandom(seed);
    for (const [name, tok] of fixtures) {
      for (let trial = 0; trial < 150; trial++) {
        const ids = Array.from({ length: 1 + Math.floor(rand() * 40) }, () =>
          Math.floor(rand() * tok.vocabSize),
        );
        const special = rand() < 0.5;
        const got = stream(tok, ids, special).join('');
        expect(got, `seed ${seed}, ${name}, ids ${ids.join(',')}`).toBe(tok.decode(ids, { special }));
      }
    }
  });

  it('never splits a UTF-8 character: random byte-level splits of valid text give clean chunks', () => {
    const seed = freshSeed();
    const rand = seededRandom(seed);
    const utf8 = new TextEncoder();
    for (const [name, tok] of fixtures.filter(([n]) => n !== 'spm')) {
      for (const text of TEXTS) {
        for (let trial = 0; trial < 20; trial++) {
          // Cut the UTF-8 bytes at random points; each segment becomes its token if it is one,
          // else one token per byte — so characters straddle token boundaries.
          const bytes = utf8.encode(text);
          const ids: number[] = [];
          for (let at = 0; at < bytes.length; ) {
            const len = Math.min(bytes.length - at, 1 + Math.floor(rand() * 4));
            const seg = bytes.subarray(at, at + len);
            const whole = tok.vocab.idOf.get(bytesToBpeText(seg));
            if (whole !== undefined) ids.push(whole);
            else
              for (const b of seg) ids.push(tok.vocab.idOf.get(bytesToBpeText(Uint8Array.of(b))) as number);
            at += len;
          }
          const chunks = stream(tok, ids, false);
          const label = `seed ${seed}, ${name}, ${JSON.stringify(text)}`;
          for (const c of chunks) expect(c.includes('\ufffd'), label).toBe(false);
          expect(chunks.join(''), label).toBe(tok.decode(ids));
        }
      }
    }
  });

  it('never splits a character that SentencePiece spelled in byte tokens', () => {
    const tok = fixtures.find(([n]) => n === 'spm')?.[1] as Tokenizer;
    const text = 'Emoji 😀🎉 日本語 and 한국어';
    const ids = tok.encode(text);
    expect(ids.filter((id) => tok.tokenText(id).startsWith('<0x')).length).toBeGreaterThan(10);
    const chunks = stream(tok, ids, false);
    for (const c of chunks) expect(c.includes('\ufffd')).toBe(false);
    expect(chunks.join('')).toBe(text);
    expect(chunks.filter((c) => c === '').length).toBeGreaterThan(5); // bytes were held back
  });

  it('strips the first leading space for SentencePiece unless told the text continues', () => {
    const tok = fixtures.find(([n]) => n === 'spm')?.[1] as Tokenizer;
    const ids = tok.encode('Hello world');
    expect(stream(tok, ids, false).join('')).toBe('Hello world');
    const d = new StreamingDetokenizer(tok, { stripLeadingSpace: false });
    expect(ids.map((id) => d.push(id)).join('') + d.flush()).toBe(' Hello world');
  });

  it('can be reused after flush', () => {
    const [, tok] = fixtures[1] as [string, Tokenizer];
    const d = new StreamingDetokenizer(tok);
    for (const text of TEXTS) {
      const ids = tok.encode(text);
      expect(ids.map((id) => d.push(id)).join('') + d.flush()).toBe(text);
    }
  });
});

describe('cleanSpaces (llama.cpp clean_spaces)', () => {
  const clean = (s: string) => new TextDecoder().decode(cleanSpaces(new TextEncoder().encode(s)));

  it('drops spaces before punctuation and contractions, and around a lone apostrophe', () => {
    expect(clean('a , b . c ? d !')).toBe('a, b. c? d!');
    expect(clean("x ' y")).toBe("x'y");
    expect(clean("it 's I 'm we 're they 've")).toBe("it's I'm we're they've");
    expect(clean("don 't we 'll you 'd")).toBe("don 't we 'll you 'd");
    expect(clean(" ' ' ' ")).toBe("'''"); // the second apostrophe's left space was zeroed by the first match
    expect(clean('')).toBe('');
  });

  it('is local: cleaning splits at a cut whose two preceding bytes are not space or apostrophe', () => {
    const seed = freshSeed();
    const rand = seededRandom(seed);
    const alphabet = [' ', "'", 's', 'm', 'r', 'e', 'v', ',', '.', '?', 'a'];
    for (let trial = 0; trial < 2000; trial++) {
      const s = Array.from(
        { length: 2 + Math.floor(rand() * 14) },
        () => alphabet[Math.floor(rand() * alphabet.length)],
      ).join('');
      for (let q = 2; q < s.length; q++) {
        const a = s[q - 1] as string;
        const b = s[q - 2] as string;
        if (a === ' ' || a === "'" || b === ' ' || b === "'") continue;
        expect(clean(s.slice(0, q)) + clean(s.slice(q)), `seed ${seed}, ${JSON.stringify(s)} at ${q}`).toBe(
          clean(s),
        );
      }
    }
  });
});
