import { freshSeed, seededRandom } from '@ruminate/gpu/testing';
import { describe, expect, it } from 'vitest';
import { decodeIncremental, emptyTextState } from '../src/generator/incremental-text.ts';

// A SentencePiece-like detokenizer: "▁" pieces become spaces, the first leading space of the
// whole text is dropped, byte tokens may split a character (held back at the end, U+FFFD when a
// slice starts inside one) — the context effects an incremental decoder must reproduce.
const enc = new TextEncoder();
const vocab: Uint8Array[] = [
  ...['▁the', '▁cat', 'at', '▁', 's', '.', '\n\n', 'ing', '▁é'].map((p) => enc.encode(p.replace(/▁/g, ' '))),
  ...[...enc.encode('é🦀ü')].map((b) => Uint8Array.of(b)),
];
function detokenize(ids: number[]): Promise<string> {
  const bytes = ids.flatMap((id) => [...(vocab[id] as Uint8Array)]);
  let end = bytes.length;
  for (let back = 1; back <= Math.min(4, end); back++) {
    const b = bytes[end - back] as number;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (need > back) end -= back;
    break;
  }
  const text = new TextDecoder().decode(Uint8Array.from(bytes.slice(0, end)));
  return Promise.resolve(text.startsWith(' ') ? text.slice(1) : text);
}

describe('incremental decoding', () => {
  it('equals decoding the whole list after every token (random sequences, fresh seed)', async () => {
    const seed = freshSeed();
    const rand = seededRandom(seed);
    let calls = 0;
    let long = 0;
    const counted = (ids: number[]) => {
      calls++;
      if (ids.length > 48) long++;
      return detokenize(ids);
    };
    for (let trial = 0; trial < 40; trial++) {
      const tokens: number[] = [];
      const state = emptyTextState();
      const length = 40 + Math.floor(rand() * 120);
      for (let i = 0; i < length; i++) {
        // Mostly whole pieces; byte runs of whole characters so most text is valid.
        if (rand() < 0.7) tokens.push(Math.floor(rand() * 9));
        else {
          const start = 9 + [0, 2, 6][Math.floor(rand() * 3)]!;
          const len = start === 9 ? 2 : start === 11 ? 4 : 2;
          for (let k = 0; k < len; k++) tokens.push(start + k);
        }
        const got = await decodeIncremental(tokens, state, counted);
        expect(got, `seed ${seed} trial ${trial} tokens ${tokens.join(',')}`).toBe(await detokenize(tokens));
      }
      expect(state.anchor, `seed ${seed}`).toBeGreaterThan(0);
    }
    // The decoded window stays short: only a fallback decodes a long list.
    expect(long / calls, `seed ${seed}`).toBeLessThan(0.05);
  });
});
