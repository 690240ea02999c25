// Several tabs of one origin share one engine through the runtime's SharedWorker
// (createWorkerEngine): tab A loads the bundled model, tab B finds it loaded without loading it,
// both get the same greedy tokens, the engine holds one copy of the weights, and it keeps
// serving tab B once tab A is closed. A page without SharedWorker falls back to a dedicated
// Worker and says so.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, expect, type Page, test } from '@playwright/test';
import type { TabApi } from '../pages/shared-worker-page.ts';
import { repoRoot } from '../support/mounts.ts';
import { screenshot } from '../support/screenshot.ts';

const MODEL = '/models/mul-q8_0.gguf';
const MODEL_BYTES = statSync(join(repoRoot, 'models/mul-q8_0.gguf')).size;
const PROMPT = '12*34=';
const MAX_TOKENS = 5; // SwiftShader is slow: a few tokens show agreement

/** Opens the page in a new tab of `context`; `noSharedWorker` removes SharedWorker before any script runs. */
async function openTab(
  context: BrowserContext,
  noSharedWorker = false,
): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  // Failed requests are reported with their URL (the browser's own favicon request excepted).
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  if (noSharedWorker) {
    await page.addInitScript(() => {
      delete (globalThis as { SharedWorker?: unknown }).SharedWorker;
    });
  }
  await page.goto('/e2e/shared-worker.html');
  await page.waitForFunction(() => window.__ruminateTab !== undefined, undefined, { timeout: 30_000 });
  expect(await page.evaluate(() => (window.__ruminateTab as { error?: string }).error)).toBeUndefined();
  return { page, problems };
}

type Method = 'load' | 'info' | 'generate' | 'hold' | 'free' | 'memory';

/** Calls one of the tab's TabApi methods in the page. */
function call<M extends Method>(
  page: Page,
  method: M,
  ...args: Parameters<TabApi[M]>
): Promise<Awaited<ReturnType<TabApi[M]>>> {
  return page.evaluate(
    ([m, a]) => (window.__ruminateTab as unknown as Record<string, (...x: unknown[]) => unknown>)[m]?.(...a),
    [method, args as unknown[]] as const,
  ) as Promise<Awaited<ReturnType<TabApi[M]>>>;
}

/** Reads the tab's `kind` or `loads`. */
function read<K extends 'kind' | 'loads'>(page: Page, key: K): Promise<TabApi[K]> {
  return page.evaluate((k) => (window.__ruminateTab as TabApi)[k], key) as Promise<TabApi[K]>;
}

/** URLs of the browser's SharedWorkers (Chrome DevTools Protocol targets of type shared_worker). */
async function sharedWorkers(context: BrowserContext): Promise<string[]> {
  const browser = context.browser();
  if (!browser) throw new Error('no browser behind the context');
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = (await cdp.send('Target.getTargets')) as {
      targetInfos: { type: string; url: string }[];
    };
    return targetInfos.filter((t) => t.type === 'shared_worker').map((t) => t.url);
  } finally {
    await cdp.detach();
  }
}

test('two tabs share one SharedWorker engine: one load, the same greedy tokens, and it outlives the tab that loaded it', async ({
  context,
}) => {
  const a = await openTab(context);
  expect(await read(a.page, 'kind')).toBe('shared');
  expect(await a.page.evaluate(() => typeof SharedWorker)).toBe('function');
  // A fresh browser context: the engine starts empty, and tab A loads the model.
  expect(await call(a.page, 'info')).toBeUndefined();
  const loaded = await call(a.page, 'load', MODEL);
  expect(loaded.architecture).toBe('llama');
  const genA = await call(a.page, 'generate', PROMPT, MAX_TOKENS);
  expect(genA.tokens.length).toBeGreaterThan(0);
  const memA = await call(a.page, 'memory');
  // One copy of the weights: no more than the file holds (q8_0 blocks go to the GPU as they are),
  // or on the wasm backend (auto on a CPU adapter) no more than its repacked q8_0: 36 bytes per
  // 34-byte block (f32 instead of f16 scales; packages/wasm/src/weights/packed-format.ts).
  expect(memA.weightBytes).toBeGreaterThan(0);
  const repack = loaded.backend === 'wasm' ? 36 / 34 : 1;
  expect(memA.weightBytes).toBeLessThanOrEqual(Math.ceil(MODEL_BYTES * repack));

  // Tab A holds a sequence, so that tab B can see the engine's state is the one A made.
  const held = await call(a.page, 'hold', PROMPT);

  // Tab B joins the same engine: the model is there without a load, and it answers the same.
  const b = await openTab(context);
  expect(await read(b.page, 'kind')).toBe('shared');
  expect(await call(b.page, 'info')).toEqual(loaded);
  const memB = await call(b.page, 'memory');
  expect(memB.weightBytes).toBe(memA.weightBytes);
  expect(memB.kvBytes).toBe(memA.kvBytes);
  expect(memB.sequences).toBe(1); // tab A's
  const genB = await call(b.page, 'generate', PROMPT, MAX_TOKENS);
  expect(genB).toEqual(genA);
  expect(await read(b.page, 'loads')).toBe(0);
  // One SharedWorker for both tabs, and no dedicated worker in either.
  const workers = await sharedWorkers(context);
  expect(workers).toHaveLength(1);
  expect(workers[0]).toMatch(/shared-engine-worker/);
  expect([...a.page.workers(), ...b.page.workers()]).toEqual([]);

  await call(a.page, 'free', held);
  expect((await call(b.page, 'memory')).sequences).toBe(0);
  // Closing tab A (the one that loaded the model) leaves the engine, and its model, to tab B.
  await a.page.close();
  expect(await call(b.page, 'info')).toEqual(loaded);
  const genAfter = await call(b.page, 'generate', PROMPT, MAX_TOKENS);
  expect(genAfter).toEqual(genA);
  expect((await call(b.page, 'memory')).weightBytes).toBe(memA.weightBytes);
  expect(await read(b.page, 'loads')).toBe(0);
  expect(await sharedWorkers(context)).toEqual(workers);

  await expect(b.page.locator('#status')).toContainText('SharedWorker');
  expect([...a.problems, ...b.problems]).toEqual([]);
  await screenshot(b.page, 'shared-worker');
});

test('without SharedWorker the page falls back to a dedicated Worker and reports it', async ({ context }) => {
  const shared = await openTab(context);
  expect(await read(shared.page, 'kind')).toBe('shared');

  const fallback = await openTab(context, true);
  expect(await fallback.page.evaluate(() => typeof SharedWorker)).toBe('undefined');
  expect(await read(fallback.page, 'kind')).toBe('dedicated');
  await expect(fallback.page.locator('#status')).toHaveAttribute('data-kind', 'dedicated');
  // The engine answers from the page's own Worker (a fresh one: no model in it).
  expect(await call(fallback.page, 'info')).toBeUndefined();
  const workers = fallback.page.workers().map((w) => w.url());
  expect(workers).toHaveLength(1);
  expect(workers[0]).toMatch(/engine-worker/);
  expect([...shared.problems, ...fallback.problems]).toEqual([]);
  await screenshot(fallback.page, 'shared-worker-fallback');
});
