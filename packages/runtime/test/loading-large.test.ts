import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SparseGguf, writeSparseGguf } from '../../../tools/fixtures/sparse-gguf.ts';
import { parseGguf } from '../src/gguf/parse.ts';
import { openFileSource } from '../src/loading/file-source.ts';
import { openModel } from '../src/loading/open-model.ts';

// A sparse GGUF over 4 GB (holes on disk): headers and tensors past byte 2^31 and 2^32 read
// correctly through a Node path and openModel's chunk stream. (Node 20's fs.openAsBlob wraps
// sizes over 4 GiB to 32 bits, so the Blob path is not exercised here; browsers' Files are 64-bit.)
let dir: string;
let fx: SparseGguf;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ruminate-large-'));
  fx = await writeSparseGguf(join(dir, 'sparse.gguf'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('files over 2 GB', () => {
  it('is a sparse file larger than 4 GiB', async () => {
    const s = await stat(fx.path);
    expect(s.size).toBe(fx.size);
    expect(s.size).toBeGreaterThan(2 ** 32);
    expect(s.blocks * 512).toBeLessThan(2 ** 24); // holes: the test does not fill the disk
  });

  it('parses the header and reads tensors past 2^31 and 2^32 from a path', async () => {
    const file = await openFileSource(fx.path);
    for (const src of [file]) {
      const h = await parseGguf(src);
      const past2g = h.tensors.find((t) => t.name === 'probe.past_2g');
      const past4g = h.tensors.find((t) => t.name === 'probe.past_4g');
      expect(past2g?.offset).toBeGreaterThan(2 ** 31);
      expect(past4g?.offset).toBeGreaterThan(2 ** 32);
      for (const t of [past2g, past4g]) {
        if (!t) throw new Error('probe missing');
        expect(await src.read(t.offset, t.bytes)).toEqual(fx.probes.get(t.name));
      }
    }
    await file.close();
  });

  it('streams the probe tensors through openModel', async () => {
    const m = await openModel({ path: fx.path });
    for (const t of m.tensors.filter((x) => x.name.startsWith('probe'))) {
      const out = new Uint8Array(Math.ceil(t.bytes / 4) * 4);
      for await (const c of m.tensorChunks(t, { chunkBytes: 100 })) out.set(c.bytes, c.at);
      expect(out.subarray(0, t.bytes)).toEqual(fx.probes.get(t.name));
    }
    await m.close();
  });
});
