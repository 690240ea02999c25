import { describe, expect, it } from 'vitest';
import { preTokenize } from '../src/tokenizer/pre-tokenize.ts';

// Expected splits worked out by hand from the regexes in llama.cpp src/llama-vocab.cpp.
describe('preTokenize', () => {
  it('llama3 splits digit runs in groups of three, qwen2 one digit at a time', () => {
    expect(preTokenize('Hello world 1234567', 'llama3')).toEqual(['Hello', ' world', ' ', '123', '456', '7']);
    expect(preTokenize('x1234', 'qwen2')).toEqual(['x', '1', '2', '3', '4']);
    expect(preTokenize('1234567', 'gpt2')).toEqual(['1234567']);
    expect(preTokenize('a+b=1234', 'default')).toEqual(['a', '+', 'b', '=', '123', '4']);
    expect(preTokenize('x12 y', 'starcoder')).toEqual(['x', '1', '2', ' y']);
  });

  it('keeps contractions apart: case-insensitive for llama3/qwen2, lower-case only for gpt2', () => {
    expect(preTokenize("It's they'RE we'll", 'llama3')).toEqual(['It', "'s", ' they', "'RE", ' we', "'ll"]);
    expect(preTokenize("It's they'RE", 'gpt2')).toEqual(['It', "'s", ' they', "'", 'RE']);
    expect(preTokenize("don't", 'qwen2')).toEqual(['don', "'t"]);
  });

  it('handles whitespace runs, tabs and newlines like the regex', () => {
    expect(preTokenize('a   b', 'llama3')).toEqual(['a', '  ', ' b']);
    expect(preTokenize('a \n\n b', 'llama3')).toEqual(['a', ' \n\n', ' b']);
    expect(preTokenize('a  ', 'llama3')).toEqual(['a', '  ']);
    expect(preTokenize('\t\tfoo', 'llama3')).toEqual(['\t', '\tfoo']);
    expect(preTokenize('hi!!\n\nyo', 'llama3')).toEqual(['hi', '!!\n\n', 'yo']);
    expect(preTokenize('a\nb', 'gpt2')).toEqual(['a', '\n', 'b']);
    expect(preTokenize('a   b', 'gpt2')).toEqual(['a', '  ', ' b']);
  });

  it('treats letters of any script as letters and emoji as punctuation-like', () => {
    expect(preTokenize('日本語 Ελληνικά', 'llama3')).toEqual(['日本語', ' Ελληνικά']);
    expect(preTokenize('ok 😀😀!', 'llama3')).toEqual(['ok', ' 😀😀!']);
    expect(preTokenize('ok 😀😀!', 'gpt2')).toEqual(['ok', ' 😀😀!']);
  });

  it("uses llama.cpp's whitespace set (U+0085 and U+3000 yes, U+FEFF no)", () => {
    expect(preTokenize('a\u3000\u3000b', 'llama3')).toEqual(['a', '\u3000', '\u3000b']);
    expect(preTokenize('a \ufeffb', 'gpt2')).toEqual(['a', ' \ufeff', 'b']);
    expect(preTokenize('a  \u0085', 'gpt2')).toEqual(['a', '  \u0085']);
  });

  it('covers the whole input, including the empty string', () => {
    expect(preTokenize('', 'llama3')).toEqual([]);
    const text = "  Mixed: 12,345.67 — naïve café's 😀\r\n\tend  ";
    for (const kind of ['gpt2', 'llama3', 'qwen2', 'starcoder', 'default'] as const) {
      expect(preTokenize(text, kind).join('')).toBe(text);
    }
  });
});
