// tokenizer.json written from a GGUF tokenizer gives, in transformers.js, the ids and text
// Ruminate's own tokenizer (llama.cpp's behaviour) gives: the bundled model (pre-tokenizer
// "default", no merges), the peers benchmark's llama-bpe vocabulary (Llama 3 regex, whole-word
// tokens skip merging) and GPT-2 and qwen2 vocabularies, on corpus lines and random text.
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { openFileSource, parseGguf, Tokenizer } from '@ruminate/runtime';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../tools/fixtures/standard-fixtures.ts';
import { FIXTURE_CORPUS, gpt2Vocab, llamaBpeVocab, qwen2Vocab } from '../../../tools/fixtures/vocab/index.ts';
import { hfTokenizerConfig, hfTokenizerJson } from '../src/convert/index.ts';

async function bundled(): Promise<{ tok: Tokenizer; merges: string[] }> {
  const source = await openFileSource(`${REPO_ROOT}/models/mul-q8_0.gguf`);
  const header = await parseGguf(source);
  await source.close();
  return { tok: Tokenizer.fromMetadata(header.metadata), merges: [] };
}

function fromVocab(metadata: [string, unknown][]): { tok: Tokenizer; merges: string[] } {
  const meta = new Map(metadata);
  const merges = meta.get('tokenizer.ggml.merges') as { values?: string[] } | string[] | undefined;
  const list = Array.isArray(merges) ? merges : (merges?.values ?? []);
  return { tok: Tokenizer.fromMetadata(meta), merges: list };
}

/** Text mixing corpus lines, digits, punctuation, spaces and newlines, from a fixed seed. */
function texts(alphabet: string, count: number, seed: number): string[] {
  let s = seed;
  const next = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  const lines = FIXTURE_CORPUS.split('\n').filter((l) => l.trim());
  const out = lines.slice(0, count);
  for (let i = 0; i < count; i++) {
    out.push(Array.from({ length: 1 + next(60) }, () => alphabet[next(alphabet.length)]).join(''));
  }
  return out;
}

const ASCII = ' \n\tabcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789.,;:!?\'"()[]{}<>=+-*/#$%^&|~_  ';

describe('tokenizer.json from GGUF tokenizers, read by transformers.js', () => {
  const cases: [string, () => Promise<{ tok: Tokenizer; merges: string[] }>, string][] = [
    ['bundled model (default pre-tokenizer, one token per character)', bundled, '0123456789*+=,#:AB'],
    [
      'llama-bpe, 8000 tokens (the peers fixture)',
      async () => fromVocab(llamaBpeVocab({ asciiOnly: true, size: 8000 }).metadata),
      ASCII,
    ],
    ['gpt2', async () => fromVocab(gpt2Vocab().metadata), `${ASCII}éü€中`],
    ['qwen2', async () => fromVocab(qwen2Vocab().metadata), `${ASCII}éü`],
  ];
  it.each(cases)('%s: same ids with BOS, same text back', async (_name, load, alphabet) => {
    const { tok, merges } = await load();
    const hf = new PreTrainedTokenizer(hfTokenizerJson(tok, merges), hfTokenizerConfig(tok, 512));
    const samples = texts(alphabet, 40, alphabet.length);
    let compared = 0;
    for (const text of samples) {
      const want = tok.encode(text, { addBos: true });
      expect(hf.encode(text), JSON.stringify(text)).toEqual(want);
      const ids = tok.encode(text);
      if (ids.length === 0) continue;
      expect(hf.decode(ids, { skip_special_tokens: true })).toBe(
        tok.decode(ids, { stripLeadingSpace: false }),
      );
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(40);
  });
});
