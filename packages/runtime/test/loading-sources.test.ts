import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRuminateError } from '@ruminate/errors';
import { freshSeed, seededRandom } from '@ruminate/gpu/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteLevelVocab } from '../../../tools/fixtures/byte-vocab.ts';
import { makeModelGguf } from '../../../tools/fixtures/model-gguf.ts';
import { splitGguf, splitPartName } from '../../../tools/fixtures/split-gguf.ts';
import { memorySource } from '../src/gguf/memory-source.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import { blobSource, openFileSource } from '../src/loading/file-source.ts';
import { openModel } from '../src/loading/open-model.ts';
import { Sha256 } from '../src/loading/sha256.ts';
import { createSourceOpener } from '../src/loading/source-opener.ts';
import { splitPartNames } from '../src/loading/split-gguf.ts';
import { tensorChunks } from '../src/loading/tensor-stream.ts';

const seed = freshSeed();
const rand = seededRandom(seed);
let dir: string;
// q4_0 (18-byte blocks) with an odd vocabulary: token_embd's size is not a multiple of 4,
// so chunking meets an unaligned end.
const model = makeModelGguf({
  arch: 'qwen2',
  seed,
  weightType: 'q4_0',
  nLayers: 2,
  nEmbd: 96,
  nHeads: 3,
  nKvHeads: 1,
  nFf: 160,
  tokenizer: byteLevelVocab(301).metadata,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ruminate-sources-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sha256', () => {
  it(`matches node:crypto on random inputs fed in random pieces (seed ${seed})`, () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 65537]) {
      const data = new Uint8Array(n).map(() => Math.floor(rand() * 256));
      const h = new Sha256();
      for (let o = 0; o < n; ) {
        const k = Math.min(n - o, Math.floor(rand() * 200));
        h.update(data.subarray(o, o + k));
        o += k;
      }
      expect(h.hex(), `length ${n}`).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });
});

describe('byte sources and tensor streaming', () => {
  it('a Node file, a Blob and memory give the same header and tensor bytes', async () => {
    const path = join(dir, 'm.gguf');
    await writeFile(path, model);
    const file = await openFileSource(path);
    const sources = [file, blobSource(new Blob([model])), memorySource(model)];
    const headers = await Promise.all(sources.map((s) => parseGguf(s)));
    expect(headers[1]).toEqual({ ...headers[0] });
    expect(headers[2]).toEqual(headers[0]);
    for (const t of headers[0]?.tensors ?? []) {
      for (const s of sources)
        expect(await s.read(t.offset, t.bytes)).toEqual(model.subarray(t.offset, t.offset + t.bytes));
    }
    await file.close();
  });

  it(`tensorChunks reassembles every tensor from 4-byte-aligned bounded chunks (seed ${seed})`, async () => {
    const h = await parseGguf(memorySource(model));
    const odd = h.tensors.filter((t) => t.bytes % 4 !== 0);
    expect(odd.length).toBeGreaterThan(0);
    for (const src of [memorySource(model), blobSource(new Blob([model]))]) {
      for (const t of h.tensors) {
        const chunkBytes = 4 + Math.floor(rand() * 600);
        const out = new Uint8Array(Math.ceil(t.bytes / 4) * 4);
        let next = 0;
        for await (const c of tensorChunks(src, t, { chunkBytes })) {
          expect(c.at).toBe(next);
          expect(c.at % 4).toBe(0);
          expect(c.bytes.length % 4).toBe(0);
          expect(c.bytes.length).toBeLessThanOrEqual(Math.floor(chunkBytes / 4) * 4);
          out.set(c.bytes, c.at);
          next += c.bytes.length;
        }
        expect(next).toBe(out.length);
        expect(out.subarray(0, t.bytes)).toEqual(model.subarray(t.offset, t.offset + t.bytes));
        expect(out.subarray(t.bytes).every((b) => b === 0)).toBe(true);
      }
    }
  });
});

describe('split GGUF', () => {
  it('names the parts of -00001-of-0000N files', () => {
    expect(splitPartNames('https://h/m/x-00002-of-00003.gguf')).toEqual([
      'https://h/m/x-00001-of-00003.gguf',
      'https://h/m/x-00002-of-00003.gguf',
      'https://h/m/x-00003-of-00003.gguf',
    ]);
    expect(splitPartNames('x.gguf')).toBeUndefined();
  });

  it('opens a 3-part split from the first part path and merges its tensors', async () => {
    const parts = await splitGguf(model, 3);
    for (const [i, p] of parts.entries()) await writeFile(join(dir, splitPartName('s', i, 3)), p);
    const whole = await parseGguf(memorySource(model));
    const m = await openModel(join(dir, splitPartName('s', 0, 3)));
    expect(m.parts).toHaveLength(3);
    expect(new Set(m.tensors.map((t) => t.part))).toEqual(new Set([0, 1, 2]));
    expect(m.tensors.map((t) => [t.name, t.dims, t.type.name])).toEqual(
      whole.tensors.map((t) => [t.name, t.dims, t.type.name]),
    );
    expect(m.metadata.get('general.architecture')).toEqual(whole.metadata.get('general.architecture'));
    for (const [i, t] of m.tensors.entries()) {
      const w = whole.tensors[i];
      expect(await m.readTensor(t)).toEqual(model.subarray(w?.offset, (w?.offset ?? 0) + (w?.bytes ?? 0)));
    }
    await m.close();
  });

  it('a missing part or parts out of order is a clear gguf-invalid error', async () => {
    const parts = await splitGguf(model, 3);
    const blobs = parts.map((p) => new Blob([p]));
    const missing = await openModel({ parts: [blobs[0] as Blob, blobs[1] as Blob] }).catch((e) => e);
    expect(isRuminateError(missing, 'gguf-invalid') && missing.message).toMatch(
      /split into 3 files, but 2 were given/,
    );
    const swapped = await openModel({ parts: [blobs[0] as Blob, blobs[2] as Blob, blobs[1] as Blob] }).catch(
      (e) => e,
    );
    expect(isRuminateError(swapped, 'gguf-invalid') && swapped.message).toMatch(
      /is split part 3, expected part 2/,
    );
  });

  it('the engine opener presents a split model as one GGUF file with the same tensors', async () => {
    const parts = await splitGguf(model, 3);
    for (const [i, p] of parts.entries()) await writeFile(join(dir, splitPartName('o', i, 3)), p);
    const src = await createSourceOpener()({ path: join(dir, splitPartName('o', 0, 3)) }, {});
    const merged = await parseGguf(src);
    const whole = await parseGguf(memorySource(model));
    expect([...merged.metadata.keys()]).toEqual([...whole.metadata.keys()]);
    expect(merged.tensors.map((t) => [t.name, t.dims, t.bytes])).toEqual(
      whole.tensors.map((t) => [t.name, t.dims, t.bytes]),
    );
    for (const [i, t] of merged.tensors.entries()) {
      const w = whole.tensors[i];
      if (!w) throw new Error('tensor missing');
      expect(await src.read(t.offset, t.bytes)).toEqual(model.subarray(w.offset, w.offset + w.bytes));
    }
    // A read spanning several tensors and the padding between them.
    const a = merged.tensors[2];
    const b = merged.tensors[6];
    if (!a || !b) throw new Error('tensors missing');
    const span = await src.read(a.offset, b.offset + b.bytes - a.offset);
    expect(span.subarray(b.offset - a.offset)).toEqual(await src.read(b.offset, b.bytes));
    await src.close?.();
  });
});
