import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRuminateError } from '@ruminate/errors';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeModelGguf } from '../../../tools/fixtures/model-gguf.ts';
import { splitGguf, splitPartName } from '../../../tools/fixtures/split-gguf.ts';
import type { LoadProgress } from '../src/engine/types.ts';
import { DirectoryModelCache } from '../src/loading/directory-cache.ts';
import { checkModelFit } from '../src/loading/model-fit.ts';
import { openModel } from '../src/loading/open-model.ts';

// A local HTTP server that serves Range requests, counts every request and byte, and can
// drop connections mid-body, standing in for a model host.
const model = makeModelGguf({ arch: 'llama', seed: 7, weightType: 'q8_0', nLayers: 2, nEmbd: 128, nFf: 256 });
const files = new Map<string, Uint8Array>([['/m.gguf', model]]);
let server: Server;
let base: string;
let requests: string[] = [];
let bytesServed = 0;
/** Drop the connection after this many body bytes, for the next `dropsLeft` bodies. */
let dropAfter = 0;
let dropsLeft = 0;
let honourRange = true;
let dir: string;

beforeAll(async () => {
  for (const [i, p] of (await splitGguf(model, 3)).entries()) files.set(`/${splitPartName('s', i, 3)}`, p);
  dir = await mkdtemp(join(tmpdir(), 'ruminate-http-'));
  server = createServer((req, res) => {
    requests.push(`${req.url} ${req.headers.range ?? ''}`);
    const body = files.get(req.url ?? '');
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (!m || !honourRange) {
      bytesServed += body.length;
      res.writeHead(200, { 'content-length': body.length }).end(body);
      return;
    }
    const start = Number(m[1]);
    const end = m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
    const slice = body.subarray(start, end + 1);
    res.writeHead(206, {
      'content-range': `bytes ${start}-${end}/${body.length}`,
      'content-length': slice.length,
    });
    if (dropsLeft > 0 && slice.length > dropAfter) {
      dropsLeft--;
      bytesServed += dropAfter;
      res.write(slice.subarray(0, dropAfter), () => res.destroy());
      return;
    }
    bytesServed += slice.length;
    res.end(slice);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  requests = [];
  bytesServed = 0;
  dropsLeft = 0;
  honourRange = true;
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('HTTP range loading', () => {
  it('reads the header and tensors with range requests, without downloading the whole file', async () => {
    const m = await openModel(`${base}/m.gguf`, { headerChunkBytes: 16384 });
    expect(requests.every((r) => r.includes('bytes='))).toBe(true);
    expect(bytesServed).toBeLessThan(model.length / 2);
    const t = m.tensors.find((x) => x.name === 'blk.1.ffn_down.weight');
    if (!t) throw new Error('tensor missing');
    expect(await m.readTensor(t)).toEqual(model.subarray(t.offset, t.offset + t.bytes));
    await m.close();
  });

  it('downloads into the cache with progress, survives dropped connections, and a second load makes no request', async () => {
    const cache = new DirectoryModelCache(join(dir, 'c1'));
    dropAfter = 20_000;
    dropsLeft = 3;
    const progress: LoadProgress[] = [];
    const first = await openModel(
      { url: `${base}/m.gguf`, sha256: sha(model) },
      { cache, onProgress: (p) => progress.push(p) },
    );
    expect(first.fromCache).toBe(false);
    expect(dropsLeft).toBe(0); // the drops happened, and the download resumed past them
    expect(requests.filter((r) => r.includes('bytes=20000-')).length).toBeGreaterThan(0);
    const last = progress.at(-1);
    expect(last).toEqual({ phase: 'download', done: model.length, total: model.length });
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]?.done).toBeGreaterThanOrEqual(progress[i - 1]?.done ?? 0);
    const tensors = await Promise.all(first.tensors.map((t) => first.readTensor(t)));
    await first.close();
    expect(await cache.list()).toEqual([
      expect.objectContaining({ key: `${base}/m.gguf`, size: model.length, sha256: sha(model) }),
    ]);

    requests = [];
    const second = await openModel(`${base}/m.gguf`, { cache });
    expect(second.fromCache).toBe(true);
    expect(requests).toEqual([]);
    expect(await Promise.all(second.tensors.map((t) => second.readTensor(t)))).toEqual(tensors);
    await second.close();

    expect(await cache.delete(`${base}/m.gguf`)).toBe(true);
    expect(await cache.list()).toEqual([]);
  });

  it('a wrong sha256 is integrity-mismatch and caches nothing', async () => {
    const cache = new DirectoryModelCache(join(dir, 'c2'));
    const e = await openModel({ url: `${base}/m.gguf`, sha256: '0'.repeat(64) }, { cache }).catch((x) => x);
    expect(isRuminateError(e, 'integrity-mismatch')).toBe(true);
    expect(e.message).toContain(sha(model));
    expect(await cache.list()).toEqual([]);
  });

  it('the fit check runs on the header before any download', async () => {
    const cache = new DirectoryModelCache(join(dir, 'c3'));
    const limits = {
      maxBufferSize: 2 ** 30,
      maxStorageBufferBindingSize: 2 ** 27,
      memoryBytes: model.length * 0.8,
    };
    const e = await openModel(`${base}/m.gguf`, {
      cache,
      headerChunkBytes: 16384,
      checkHeader: (h) => checkModelFit(h, { contextLength: 512 }, limits),
    }).catch((x) => x);
    expect(isRuminateError(e, 'model-too-large')).toBe(true);
    expect(bytesServed).toBeLessThan(model.length / 2);
    expect(await cache.list()).toEqual([]);
  });

  it('split parts over HTTP are found from the first part URL, cached, then loaded offline', async () => {
    const cache = new DirectoryModelCache(join(dir, 'c4'));
    const url = `${base}/${splitPartName('s', 0, 3)}`;
    const first = await openModel(url, { cache });
    expect(first.parts).toHaveLength(3);
    await first.close();
    expect((await cache.list()).length).toBe(3);
    requests = [];
    const again = await openModel(url, { cache });
    expect(requests).toEqual([]);
    expect(again.tensors.map((t) => t.name)).toEqual(first.tensors.map((t) => t.name));
    await again.close();
    await cache.clear();
    expect(await cache.list()).toEqual([]);
  });

  it('a server without Range support, and a missing file, are fetch-failed errors saying so', async () => {
    honourRange = false;
    const e = await openModel(`${base}/m.gguf`).catch((x) => x);
    expect(isRuminateError(e, 'fetch-failed') && e.message).toMatch(/ignores HTTP Range requests/);
    honourRange = true;
    const missing = await openModel(`${base}/nope.gguf`).catch((x) => x);
    expect(isRuminateError(missing, 'fetch-failed') && missing.message).toMatch(/HTTP 404/);
  });

  it('aborting mid-download is an aborted error and caches nothing', async () => {
    const cache = new DirectoryModelCache(join(dir, 'c5'));
    const ctl = new AbortController();
    dropAfter = 50_000; // several bodies, so there is a point between chunks to abort at
    dropsLeft = 2;
    const e = await openModel(`${base}/m.gguf`, {
      cache,
      signal: ctl.signal,
      onProgress: (p) => {
        if (p.done > 0) ctl.abort();
      },
    }).catch((x) => x);
    expect(isRuminateError(e, 'aborted')).toBe(true);
    expect(await cache.list()).toEqual([]);
    expect(await readdir(join(dir, 'c5'))).toEqual([]); // the partial download was removed
  });
});
