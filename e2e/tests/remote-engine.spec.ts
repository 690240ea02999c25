// The remote engine from a page (headless Chromium): the page's in-page engine cannot load (a
// stand-in for a phone too small for the model), so createEngine falls back to `ruminate serve`
// on another loopback origin (CORS preflight, API key) and runs self-consistency there; the
// server is started and stopped by this test.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { expect, test } from '@playwright/test';
import type { RemotePageResult } from '../pages/remote-engine-page.ts';
import { repoRoot } from '../support/mounts.ts';
import { screenshot } from '../support/screenshot.ts';

let server: ChildProcess | undefined;
let url = '';
const KEY = 'e2e-key';

test.beforeAll(async () => {
  server = spawn(
    'pnpm',
    [
      'exec',
      'tsx',
      'packages/cli/src/main.ts',
      'serve',
      '--model',
      'models/mul-q8_0.gguf',
      '--port',
      '0',
      '--api-key',
      KEY,
      '--threads',
      '1',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: server.stdout as NodeJS.ReadableStream });
  url = await new Promise<string>((resolve, reject) => {
    lines.once('line', (l) => resolve((JSON.parse(l) as { url: string }).url));
    server?.once('exit', (code) => reject(new Error(`ruminate serve exited with ${code}`)));
  });
});

test.afterAll(async () => {
  if (!server) return;
  const exited = new Promise((r) => server?.once('exit', r));
  server.kill('SIGTERM');
  await exited;
});

test('a page runs self-consistency on ruminate serve after its own engine fails to load', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/e2e/remote-engine.html?server=${encodeURIComponent(url)}&key=${KEY}`);
  await page.waitForFunction(() => window.__ruminateRemote !== undefined, undefined, { timeout: 120_000 });
  const r = (await page.evaluate(() => window.__ruminateRemote)) as RemotePageResult;
  expect(r.error).toBeUndefined();
  expect(r.chosen?.index).toBe(1);
  expect(r.chosen?.kind).toBe('remote');
  expect(r.chosen?.rejected.map((x) => x.code)).toEqual(['model-too-large']);
  expect(r.candidates).toHaveLength(4);
  for (const c of r.candidates ?? []) expect(c).toMatch(/^[AB]:/);
  expect(r.text).toMatch(/^[AB]:/);
  expect(r.answer).toMatch(/^\d+$/);
  expect(r.capabilities).toEqual({ n: true, logprobs: true });
  expect(errors).toEqual([]);
  await screenshot(page, 'remote-engine');
});
