import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import {
  buildByteLevelVocab,
  type FixtureVocab,
  gpt2Vocab,
  llamaBpeVocab,
  qwen2Vocab,
  spmVocab,
} from '../../../tools/fixtures/vocab/index.ts';
import { Tokenizer } from '../src/tokenizer/tokenizer.ts';

const fromFixture = (v: FixtureVocab) => Tokenizer.fromMetadata(new Map(v.metadata));
const llama3 = fromFixture(llamaBpeVocab());
const qwen2 = fromFixture(qwen2Vocab());
const gpt2 = fromFixture(gpt2Vocab());
const spm = fromFixture(spmVocab());

/** Text each token id stands for, one string per id. */
const pieces = (tok: Tokenizer, ids: number[]) =>
  ids.map((id) => new TextDecoder().decode(tok.tokenBytes(id, true)));

const TRICKY = [
  'Hello, world!',
  'naïve café — Straße 日本語のテキスト 한국어',
  'emoji 😀🎉👍🏽❤️ and a flag 🇫🇷',
  '   leading and trailing   ',
  'tabs\tand\nnewlines\r\n\n\nend',
  '12345678901234567890',
  "they're I'M we'll it's 'quoted'",
  '\u00a0\u2003\u3000ideographic space',
  'a\u0301 combining, \u200b zero width, \ufeffBOM',
  'x',
];

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(isRuminateError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected a RuminateError with code ${code}`);
}

describe('byte-level BPE tokenizer', () => {
  it('round-trips tricky text exactly when the vocabulary does not clean spaces (qwen2)', () => {
    for (const text of TRICKY) expect(qwen2.decode(qwen2.encode(text))).toBe(text);
    for (const text of TRICKY)
      expect(qwen2.decode(qwen2.encode(` , ' ${text} 's .`))).toBe(` , ' ${text} 's .`);
  });

  it("applies llama.cpp's space cleaning on decode for llama-bpe and gpt-2", () => {
    for (const tok of [llama3, gpt2]) {
      expect(tok.decode(tok.encode("a , b . c ? d ! it 's we 're x ' y"))).toBe("a, b. c? d! it's we're x'y");
      for (const text of TRICKY) expect(tok.decode(tok.encode(text))).toBe(text);
    }
  });

  it('splits digit runs in threes for llama-bpe and one by one for qwen2', () => {
    expect(pieces(llama3, llama3.encode('1234567')).join('|')).toMatch(/^(\d{1,3}\|?)+$/);
    for (const p of pieces(llama3, llama3.encode('1234567'))) expect(p.length).toBeLessThanOrEqual(3);
    expect(pieces(llama3, llama3.encode('1234567')).join('')).toBe('1234567');
    expect(pieces(qwen2, qwen2.encode('2024'))).toEqual(['2', '0', '2', '4']);
  });

  it('learned merges are used: common words become single tokens', () => {
    expect(llama3.encode(' the')).toHaveLength(1);
    expect(qwen2.encode('The')).toHaveLength(1);
    expect(pieces(qwen2, qwen2.encode('The dog'))).toEqual(['The', ' dog']);
  });

  it('matches control tokens only with special, user-defined tokens always', () => {
    const start = qwen2Vocab().specialIds['<|im_start|>'] as number;
    const toolCall = qwen2Vocab().specialIds['<tool_call>'] as number;
    expect(qwen2.encode('<|im_start|>user', { special: true })[0]).toBe(start);
    expect(qwen2.encode('<|im_start|>user', { special: false })).not.toContain(start);
    expect(qwen2.decode(qwen2.encode('<|im_start|>user'))).toBe('<|im_start|>user');
    expect(qwen2.encode('a<tool_call>b', { special: false })).toContain(toolCall);
    expect(qwen2.decode([start])).toBe('');
    expect(qwen2.decode([start], { special: true })).toBe('<|im_start|>');
    expect(qwen2.decode([toolCall])).toBe('<tool_call>');
  });

  it('matches the longest special token first', () => {
    const v = buildByteLevelVocab(
      'llama3',
      'llama-bpe',
      [
        { text: '<x>', type: 3 },
        { text: '<x><y>', type: 3 },
      ],
      { bos: '<x>', eos: '<x>' },
      [],
      { merges: 10 },
    );
    const tok = fromFixture(v);
    const ids = tok.encode('<x><y><x>', { special: true });
    expect(ids).toEqual([v.specialIds['<x><y>'], v.specialIds['<x>']]);
  });

  it('adds BOS only when asked and when the model wants it', () => {
    expect(llama3.encode('')).toEqual([]);
    expect(llama3.encode('', { addBos: true })).toEqual([llama3.bosId]);
    expect(llama3.encode('hi', { addBos: true })[0]).toBe(llama3.bosId);
    expect(qwen2.encode('hi', { addBos: true })).toEqual(qwen2.encode('hi'));
  });

  it('knows end-of-generation tokens', () => {
    const v = qwen2Vocab();
    expect(qwen2.eogIds.has(v.specialIds['<|im_end|>'] as number)).toBe(true);
    expect(qwen2.eogIds.has(v.specialIds['<|endoftext|>'] as number)).toBe(true);
    expect(qwen2.eogIds.has(v.specialIds['<|im_start|>'] as number)).toBe(false);
    expect(llama3.eogIds.has(llamaBpeVocab().specialIds['<|eot_id|>'] as number)).toBe(true);
  });

  it('ASCII-only vocabularies decode every token to printable ASCII', () => {
    const v = llamaBpeVocab({ asciiOnly: true, size: 1200 });
    expect(v.tokens).toHaveLength(1200);
    const tok = fromFixture(v);
    for (let id = 0; id < tok.vocabSize; id++) {
      const bytes = tok.tokenBytes(id, true);
      for (const b of bytes) expect(b === 9 || b === 10 || (b >= 0x20 && b < 0x7f)).toBe(true);
    }
    expect(tok.decode(tok.encode('The quick brown fox, 42 times.'))).toBe('The quick brown fox, 42 times.');
  });
});

describe('SentencePiece tokenizer', () => {
  it('prefixes a space, merges by score and strips the leading space on decode', () => {
    const ids = spm.encode('Hello world');
    expect(spm.tokenText(ids[0] as number).startsWith('\u2581')).toBe(true);
    expect(spm.decode(ids)).toBe('Hello world');
    for (const text of TRICKY) expect(spm.decode(spm.encode(text))).toBe(text);
  });

  it('falls back to <0xXX> byte tokens for characters outside the vocabulary', () => {
    const ids = spm.encode('日');
    expect(ids.map((id) => spm.tokenText(id))).toEqual(['\u2581', '<0xE6>', '<0x97>', '<0xA5>']);
    expect(spm.decode(ids)).toBe('日');
  });

  it('adds BOS, re-adds the space prefix after special tokens, and keeps llama.cpp decode quirks', () => {
    expect(spm.encode('hi', { addBos: true })[0]).toBe(1);
    const ids = spm.encode('<s>hi</s>hi', { special: true });
    expect(ids[0]).toBe(1);
    expect(ids).toContain(2);
    expect(spm.tokenText(ids[1] as number).startsWith('\u2581')).toBe(true);
    // llama.cpp consumes the leading-space strip on the first token even when it renders empty.
    expect(spm.decode(spm.encode('Hello', { addBos: true }))).toBe(' Hello');
    expect(spm.decode(spm.encode('Hello'), { stripLeadingSpace: false })).toBe(' Hello');
  });

  it('uses <unk> when a byte has no fallback token, and errors when there is no <unk> either', () => {
    const v = spmVocab();
    const meta = new Map(v.metadata);
    const tokens = (meta.get('tokenizer.ggml.tokens') as { values: string[] }).values.map((t) =>
      t === '<0xE6>' ? '<gone>' : t,
    );
    meta.set('tokenizer.ggml.tokens', { type: 'array', itemType: 'string', values: tokens });
    expect(Tokenizer.fromMetadata(meta).encode('日')).toContain(0);
    meta.set('tokenizer.ggml.tokens', {
      type: 'array',
      itemType: 'string',
      values: tokens.map((t, i) => (i === 0 ? '<nounk>' : t)),
    });
    meta.set('tokenizer.ggml.token_type', {
      type: 'array',
      itemType: 'i32',
      values: Int32Array.from(tokens, (_, i) => (i < 3 ? 3 : 1)),
    });
    meta.set('tokenizer.ggml.unknown_token_id', { type: 'u32', value: 99999 });
    // Out-of-range ids fall back to llama.cpp's default (0), which still exists: unk stays 0.
    expect(Tokenizer.fromMetadata(meta).encode('日')).toContain(0);
  });
});

describe('Tokenizer.fromMetadata', () => {
  it('accepts plain records with JS arrays, typed arrays and bigints', () => {
    const v = qwen2Vocab();
    const rec: Record<string, unknown> = {};
    for (const [k, val] of v.metadata) rec[k] = 'values' in val ? val.values : val.value;
    rec['tokenizer.ggml.eos_token_id'] = BigInt(v.eos);
    rec['tokenizer.ggml.token_type'] = Array.from(rec['tokenizer.ggml.token_type'] as Int32Array);
    const tok = Tokenizer.fromMetadata(rec);
    expect(tok.eosId).toBe(v.eos);
    expect(tok.encode('The quick <|im_end|>', { special: true })).toEqual(
      qwen2.encode('The quick <|im_end|>', { special: true }),
    );
  });

  it('rejects missing or malformed tokenizer metadata with typed errors', () => {
    expectCode(() => Tokenizer.fromMetadata(new Map()), 'tokenizer-invalid');
    expectCode(() => Tokenizer.fromMetadata({ 'tokenizer.ggml.model': 'gpt2' }), 'tokenizer-invalid');
    expectCode(
      () => Tokenizer.fromMetadata({ 'tokenizer.ggml.model': 'bert', 'tokenizer.ggml.tokens': ['a'] }),
      'tokenizer-unsupported',
    );
    expectCode(
      () =>
        Tokenizer.fromMetadata({
          'tokenizer.ggml.model': 'gpt2',
          'tokenizer.ggml.pre': 'made-up',
          'tokenizer.ggml.tokens': ['a'],
          'tokenizer.ggml.merges': [],
        }),
      'tokenizer-unsupported',
    );
    expectCode(
      () => Tokenizer.fromMetadata({ 'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.tokens': ['a'] }),
      'tokenizer-invalid',
    );
    expectCode(
      () =>
        Tokenizer.fromMetadata({
          'tokenizer.ggml.model': 'llama',
          'tokenizer.ggml.tokens': ['a', 'b'],
          'tokenizer.ggml.scores': [0],
        }),
      'tokenizer-invalid',
    );
    expectCode(
      () => Tokenizer.fromMetadata({ 'tokenizer.ggml.model': 'llama', 'tokenizer.ggml.tokens': ['a', 3] }),
      'tokenizer-invalid',
    );
    expectCode(() => qwen2.decode([qwen2.vocabSize]), 'invalid-argument');
    expectCode(() => qwen2.decode([-1]), 'invalid-argument');
  });

  it('treats a lone surrogate as U+FFFD, as UTF-8 encoding would', () => {
    expect(qwen2.encode('a\ud800b')).toEqual(qwen2.encode('a\ufffdb'));
  });
});
