// The peers benchmark's standard model: a ~31M-parameter Q4_0 llama written by the project's
// fixture maker (8 layers, width 512, 8 query / 4 KV heads of 64, FFN 1376, an 8000-token
// llama-bpe vocabulary of printable-ASCII tokens, since wllama throws on text that is not
// valid UTF-8), cached under .cache/fixtures/. Plus the benchmark's prompt, as token ids.

import { openFileSource, parseGguf, Tokenizer } from '@ruminate/runtime';
import type { ModelGgufOptions } from '../../tools/fixtures/model-gguf.ts';
import { fixtureFile } from '../../tools/fixtures/standard-fixtures.ts';
import { FIXTURE_CORPUS, llamaBpeVocab } from '../../tools/fixtures/vocab/index.ts';

/** File name (under .cache/fixtures/) of the standard peers model. */
export const PEER_FIXTURE_NAME = 'peers-llama-q4_0-31m';

/** Recipe of the standard peers model. */
export function peerFixtureRecipe(): ModelGgufOptions {
  return {
    arch: 'llama',
    seed: 9001,
    weightType: 'q4_0',
    nLayers: 8,
    nEmbd: 512,
    nHeads: 8,
    nKvHeads: 4,
    nFf: 1376,
    contextLength: 2048,
    outputScale: 8,
    name: 'ruminate-peers-llama-q4_0',
    tokenizer: llamaBpeVocab({ asciiOnly: true, size: 8000 }).metadata,
  };
}

/** Path of the standard peers model, written on first use (about 18 MB). */
export function peerFixture(): Promise<string> {
  return fixtureFile(PEER_FIXTURE_NAME, peerFixtureRecipe());
}

/** The benchmark prompt: text and its token ids (BOS first when the model adds one). */
export interface BenchPrompt {
  text: string;
  ids: number[];
}

/**
 * About `count` prompt tokens of printable-ASCII corpus text for the model at `path`, as text and
 * ids such that encoding the text (with BOS) gives exactly those ids, since wllama takes text:
 * the ids are cut at `count`, decoded, and cut one token shorter until the text round-trips.
 * `fromLine` starts the text at that line of the corpus (a second prompt no engine has cached).
 */
export async function benchPrompt(path: string, count: number, fromLine = 0): Promise<BenchPrompt> {
  const source = await openFileSource(path);
  try {
    const header = await parseGguf(source);
    const tokenizer = Tokenizer.fromMetadata(header.metadata);
    const ascii = FIXTURE_CORPUS.replace(/[^\x20-\x7e\n]/g, ' ');
    const lines = ascii.split('\n');
    let text = lines.slice(fromLine % lines.length).join('\n');
    let ids = tokenizer.encode(text, { addBos: true });
    while (ids.length < count) {
      text += ` ${ascii}`;
      ids = tokenizer.encode(text, { addBos: true });
    }
    const bos = tokenizer.encode('', { addBos: true }).length;
    for (let n = count; n > bos; n--) {
      const cut = ids.slice(0, n);
      const candidate = tokenizer.decode(cut.slice(bos));
      const again = tokenizer.encode(candidate, { addBos: true });
      if (again.length === cut.length && again.every((t, i) => t === cut[i]))
        return { text: candidate, ids: cut };
    }
    throw new Error(`no prefix of the prompt round-trips through ${path}'s tokenizer`);
  } finally {
    await source.close?.();
  }
}
