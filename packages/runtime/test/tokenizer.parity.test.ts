// Tokenizer parity with llama.cpp: GGUF files carrying the fixture vocabularies are loaded by
// node-llama-cpp 3.21.1 (CPU, vocabulary only) and by Ruminate (through the GGUF parser), and
// token ids (`model.tokenize(text, specialTokens)`) and text (`model.detokenize(ids, special)`)
// must be identical on a corpus of tricky strings plus seeded random ones.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshSeed, seededRandom } from '@ruminate/gpu/testing';
import { getLlama, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FixtureVocab,
  gpt2Vocab,
  llamaBpeVocab,
  qwen2Vocab,
  spmVocab,
  vocabOnlyGguf,
} from '../../../tools/fixtures/vocab/index.ts';
import { memorySource } from '../src/gguf/memory-source.ts';
import { gguf } from '../src/gguf/metadata.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import type { GgufValue } from '../src/gguf/types.ts';
import { Tokenizer } from '../src/tokenizer/tokenizer.ts';

const TRICKY = [
  '',
  ' ',
  '  ',
  '\n',
  'Hello world',
  ' Hello world',
  'Hello  world   ',
  'The quick brown fox jumps over the lazy dog.',
  "It's John's; they're WE'RE I'M we'll you'd he've",
  "don't , . ! ? ' s it 's we 're x ' y",
  " ' ' ' ",
  '1 12 123 1234 12345 123456 1234567 3.14159 1,000,000 0000',
  '٣٤٥ Ⅻ ½ ²',
  'tabs\tand\ttabs\t\t\tend',
  'lines\nand\r\nmore\n\n\n   \n  indented',
  '   \t \n x',
  'trailing spaces    ',
  'Café naïve résumé Straße Ångström',
  'Ελληνικά Привет мир',
  '日本語のテキストと中文文本，还有한국어',
  'Emoji 😀🎉👍🏽❤️ 🇫🇷 👨‍👩‍👧',
  'a\u0301e\u0301 combining marks',
  '\u00a0nbsp\u2003em\u3000ideographic\u0085nel\u2028ls',
  'zero\u200bwidth \ufeffbom',
  'symbols © ® ™ € £ ¥ ± × ÷ → ∞ $+<=>^~|`',
  'def f(x):\n    return [t for t in x if t]  # comment',
  'for (let i = 0; i < 10; i++) { console.log(i); }',
  '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>',
  '<s>[INST] hi [/INST] ok</s>',
  'a <tool_call>{"x": 1}</tool_call> b',
  '<|endoftext|><|endoftext|>x',
  '<unk> <0x41> ▁▁word ▁',
  'x<|im_end|',
  'THE END. the end. The End? \'Quoted\' "double"',
];

const ATOMS = [
  ' ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  'a',
  'The',
  'dog',
  'é',
  'ß',
  '1',
  '23',
  '4567',
  "'",
  "'s",
  "'RE",
  "'ll",
  ',',
  '.',
  '?',
  '!',
  '"',
  '$',
  '<',
  '|',
  '日本',
  '😀',
  '👍🏽',
  '\u0301',
  '\u00a0',
  '\u3000',
  '\u0085',
  '\ufeff',
  '٣',
  '<|im_start|>',
  '<|im_end|>',
  '<|eot_id|>',
  '<s>',
  '</s>',
  '<tool_call>',
  '▁',
  '-',
  '(',
];

interface Fixture {
  name: string;
  vocab: FixtureVocab;
  model?: LlamaModel;
  tok?: Tokenizer;
}

/** The fixture with one metadata entry replaced or added. */
function withEntry(v: FixtureVocab, key: string, value: GgufValue): FixtureVocab {
  const metadata = v.metadata.filter(([k]) => k !== key);
  metadata.push([key, value]);
  return { ...v, metadata };
}

const fixtures: Fixture[] = [
  { name: 'llama-bpe', vocab: llamaBpeVocab() },
  { name: 'llama-bpe ascii-only 8000', vocab: llamaBpeVocab({ asciiOnly: true, size: 8000 }) },
  { name: 'qwen2', vocab: qwen2Vocab() },
  { name: 'gpt-2', vocab: gpt2Vocab() },
  { name: 'default', vocab: gpt2Vocab({ pre: 'default' }) },
  { name: 'spm', vocab: spmVocab() },
  {
    name: 'spm without space prefix',
    vocab: withEntry(spmVocab(), 'tokenizer.ggml.add_space_prefix', gguf.bool(false)),
  },
];

let llama: Llama;
let dir: string;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never' });
  dir = mkdtempSync(join(tmpdir(), 'ruminate-vocab-'));
  for (const f of fixtures) {
    const bytes = vocabOnlyGguf(f.vocab.metadata);
    const path = join(dir, `${f.name.replaceAll(' ', '-')}.gguf`);
    writeFileSync(path, bytes);
    f.model = await llama.loadModel({ modelPath: path, vocabOnly: true, gpuLayers: 0 });
    f.tok = Tokenizer.fromMetadata((await parseGguf(memorySource(bytes))).metadata);
  }
});

afterAll(async () => {
  for (const f of fixtures) await f.model?.dispose();
  await llama?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(fixtures)('tokenizer parity with llama.cpp: $name', (f) => {
  const randomTexts = (seed: number, count: number) => {
    const rand = seededRandom(seed);
    return Array.from({ length: count }, () =>
      Array.from(
        { length: 1 + Math.floor(rand() * 12) },
        () => ATOMS[Math.floor(rand() * ATOMS.length)],
      ).join(''),
    );
  };

  it('encodes the tricky corpus to the same ids, with and without special tokens', () => {
    const model = f.model as LlamaModel;
    const tok = f.tok as Tokenizer;
    for (const text of TRICKY) {
      for (const special of [false, true]) {
        expect(tok.encode(text, { special }), `${JSON.stringify(text)} special=${special}`).toEqual(
          model.tokenize(text, special),
        );
      }
    }
  });

  it('encodes seeded random strings to the same ids', () => {
    const seed = freshSeed();
    const model = f.model as LlamaModel;
    const tok = f.tok as Tokenizer;
    randomTexts(seed, 300).forEach((text, i) => {
      const special = i % 2 === 0;
      expect(
        tok.encode(text, { special }),
        `seed ${seed}: ${JSON.stringify(text)} special=${special}`,
      ).toEqual(model.tokenize(text, special));
    });
  });

  it('decodes to the same text (corpus ids and random id sequences)', () => {
    const seed = freshSeed();
    const rand = seededRandom(seed);
    const model = f.model as LlamaModel;
    const tok = f.tok as Tokenizer;
    const sequences: number[][] = TRICKY.map((t) => model.tokenize(t, true));
    for (let i = 0; i < 200; i++) {
      sequences.push(
        Array.from({ length: 1 + Math.floor(rand() * 16) }, () => Math.floor(rand() * tok.vocabSize)),
      );
    }
    for (const ids of sequences) {
      for (const special of [false, true]) {
        expect(tok.decode(ids, { special }), `seed ${seed}: ids ${ids.join(',')} special=${special}`).toBe(
          model.detokenize(ids as Token[], special),
        );
      }
    }
  });
});
