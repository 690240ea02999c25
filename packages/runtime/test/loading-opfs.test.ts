import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { createServer as createVite, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeModelGguf } from '../../../tools/fixtures/model-gguf.ts';
import { REPO_ROOT } from '../../../tools/fixtures/standard-fixtures.ts';

// The browser cache for real: headless Chromium loads the runtime's TypeScript through a
// Vite dev server, downloads a fixture from a counting Range server into the Origin Private
// File System, and loads it again with no request. Integrity and quota errors are checked
// in the page too.
const model = makeModelGguf({ arch: 'llama', seed: 11, weightType: 'q8_0', nLayers: 1, nEmbd: 64, nFf: 128 });
const sha = createHash('sha256').update(model).digest('hex');
let requests = 0;
let modelServer: Server;
let vite: ViteDevServer;
let browser: Browser;
/** One context: OPFS persists across its pages, as across reloads of a site. */
let context: BrowserContext;
let pageUrl: string;
let modelUrl: string;

beforeAll(async () => {
  modelServer = createServer((req, res) => {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'range',
      'access-control-expose-headers': 'content-range',
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end();
      return;
    }
    requests++;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, cors).end(model);
      return;
    }
    const start = Number(m[1]);
    const end = m[2] ? Math.min(Number(m[2]), model.length - 1) : model.length - 1;
    res
      .writeHead(206, { ...cors, 'content-range': `bytes ${start}-${end}/${model.length}` })
      .end(model.subarray(start, end + 1));
  });
  await new Promise<void>((r) => modelServer.listen(0, '127.0.0.1', r));
  modelUrl = `http://127.0.0.1:${(modelServer.address() as AddressInfo).port}/tiny.gguf`;
  vite = await createVite({
    root: REPO_ROOT,
    configFile: false,
    logLevel: 'error',
    server: { port: 0, host: '127.0.0.1', hmr: false },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await vite.listen();
  const address = vite.httpServer?.address() as AddressInfo | undefined;
  if (!address) throw new Error('vite did not listen');
  pageUrl = `http://127.0.0.1:${address.port}/package.json`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox'],
  });
  context = await browser.newContext();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await vite?.close();
  await new Promise((r) => modelServer?.close(r));
});

/** Runs `body` (page JavaScript with `m` = the runtime's index module) and returns its result. */
async function inPage<T>(body: string): Promise<T> {
  const page = await context.newPage();
  try {
    await page.goto(pageUrl);
    // A string, not a function: the test transform would add helpers the page lacks.
    return (await page.evaluate(`(async () => {
      const m = await import('/packages/runtime/src/index.ts');
      ${body}
    })()`)) as T;
  } finally {
    await page.close();
  }
}

describe('OPFS model cache in Chromium', () => {
  it('downloads once with progress and sha256, then loads with no request; list, delete, clear', async () => {
    requests = 0;
    const first = await inPage<{
      fromCache: boolean;
      last: unknown;
      list: { size: number; sha256: string }[];
      hash: string;
    }>(`
      const cache = new m.OpfsModelCache('ruminate-test');
      await cache.clear();
      const progress = [];
      const model = await m.openModel({ url: '${modelUrl}', sha256: '${sha}' }, { cache, onProgress: (p) => progress.push(p) });
      const t = model.tensors.find((x) => x.name === 'blk.0.ffn_down.weight');
      const hash = new m.Sha256().update(await model.readTensor(t)).hex();
      return { fromCache: model.fromCache, last: progress.at(-1), list: await cache.list(), hash };
    `);
    expect(first.fromCache).toBe(false);
    expect(first.last).toEqual({ phase: 'download', done: model.length, total: model.length });
    expect(first.list).toEqual([expect.objectContaining({ size: model.length, sha256: sha })]);
    expect(requests).toBeGreaterThan(0);

    requests = 0;
    const second = await inPage<{ fromCache: boolean; hash: string; deleted: boolean; after: unknown[] }>(`
      const cache = new m.OpfsModelCache('ruminate-test');
      const model = await m.openModel('${modelUrl}', { cache });
      const t = model.tensors.find((x) => x.name === 'blk.0.ffn_down.weight');
      const hash = new m.Sha256().update(await model.readTensor(t)).hex();
      const deleted = await cache.delete('${modelUrl}');
      return { fromCache: model.fromCache, hash, deleted, after: await cache.list() };
    `);
    expect(requests).toBe(0);
    expect(second.fromCache).toBe(true);
    expect(second.hash).toBe(first.hash);
    expect(second.deleted).toBe(true);
    expect(second.after).toEqual([]);
  }, 120_000);

  it('integrity and quota failures are typed errors and store nothing', async () => {
    const r = await inPage<{ integrity: string; quota: string; quotaMessage: string; list: unknown[] }>(`
      const cache = new m.OpfsModelCache('ruminate-test-2');
      await cache.clear();
      const integrity = await m.openModel({ url: '${modelUrl}', sha256: '${'0'.repeat(64)}' }, { cache }).catch((e) => e.code);
      navigator.storage.estimate = async () => ({ quota: 1000, usage: 900 });
      const err = await m.openModel('${modelUrl}', { cache }).catch((e) => e);
      return { integrity, quota: err.code, quotaMessage: err.message, list: await cache.list() };
    `);
    expect(r.integrity).toBe('integrity-mismatch');
    expect(r.quota).toBe('storage-quota');
    expect(r.quotaMessage).toMatch(/only 0\.0 MiB is available/);
    expect(r.list).toEqual([]);
  }, 120_000);
});
