import { describe, expect, it } from 'vitest';
import {
  gpt2Vocab,
  learnMerges,
  llamaBpeVocab,
  qwen2Vocab,
  spmVocab,
} from '../../../tools/fixtures/vocab/index.ts';

describe('fixture vocabularies', () => {
  it('learnMerges picks the most frequent pair first and is deterministic', () => {
    const words = ['abab', 'abab', 'ab', 'cd'];
    const a = learnMerges(words, 5);
    expect(a.merges[0]).toBe('a b');
    expect(a.tokens[0]).toBe('ab');
    expect(a.merges[1]).toBe('ab ab');
    expect(learnMerges(words, 5)).toEqual(a);
    expect(a.merges).not.toContain('c d'); // occurs once: not learned
  });

  for (const [name, v] of [
    ['llama-bpe', llamaBpeVocab()],
    ['qwen2', qwen2Vocab()],
    ['gpt-2', gpt2Vocab()],
    ['ascii-only 3000', llamaBpeVocab({ asciiOnly: true, size: 3000 })],
  ] as const) {
    it(`${name}: every merge joins two earlier tokens into a token, texts are unique`, () => {
      const meta = new Map(v.metadata);
      const merges = (meta.get('tokenizer.ggml.merges') as { values: string[] }).values;
      const index = new Map(v.tokens.map((t, i) => [t, i]));
      expect(index.size).toBe(v.tokens.length);
      expect(merges.length).toBeGreaterThan(100);
      for (const m of merges) {
        const at = m.indexOf(' ', 1);
        const l = m.slice(0, at);
        const r = m.slice(at + 1);
        const joined = index.get(l + r);
        expect(joined, m).toBeDefined();
        expect(index.get(l) as number).toBeLessThan(joined as number);
        expect(index.get(r) as number).toBeLessThan(joined as number);
      }
      expect(v.tokens[v.bos]).toMatch(/^<.*>$/);
    });
  }

  it('SentencePiece fixture: unk/bos/eos, 256 byte tokens, scored pieces', () => {
    const v = spmVocab();
    expect(v.tokens.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
    expect(v.tokens[3]).toBe('<0x00>');
    expect(v.tokens[258]).toBe('<0xFF>');
    expect(v.tokens.filter((t) => t.startsWith('\u2581')).length).toBeGreaterThan(50);
    expect(v.tokens).not.toContain('日');
  });
});
