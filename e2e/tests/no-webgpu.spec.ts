// A Chromium with no WebGPU (started without --enable-unsafe-webgpu and without Vulkan): the
// script-tag page and the playground pick the WebAssembly backend by themselves, run it on every
// core (both pages are cross-origin isolated), and solve a problem of the bundled model with
// self-consistency.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.ts';
import { repoRoot } from '../support/mounts.ts';
import { screenshot } from '../support/screenshot.ts';

const NO_WEBGPU_ARGS = CHROMIUM_ARGS.filter(
  (a) => a !== '--enable-unsafe-webgpu' && !a.startsWith('--enable-features=Vulkan'),
);
test.use({ launchOptions: { executablePath: CHROMIUM, args: NO_WEBGPU_ARGS } });
test.describe.configure({ timeout: 420_000, mode: 'serial' });

const gguf = existsSync(join(repoRoot, 'models'))
  ? readdirSync(join(repoRoot, 'models')).find((f) => f.endsWith('.gguf'))
  : undefined;
const scriptPkg = join(repoRoot, 'packages/script');
const { version } = JSON.parse(readFileSync(join(scriptPkg, 'package.json'), 'utf8')) as { version: string };

// A problem of the bundled model's eval set (models/mul-eval.jsonl) and its answer.
const PROBLEM = { prompt: '22*11', answer: '242' };

function collectProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

/** navigator.gpu is missing, or gives no adapter. */
async function expectNoWebGpu(page: Page) {
  const gpu = await page.evaluate(async () => {
    if (!('gpu' in navigator) || !navigator.gpu) return 'absent';
    return (await navigator.gpu.requestAdapter()) ? 'adapter' : 'no adapter';
  });
  expect(['absent', 'no adapter']).toContain(gpu);
}

test('the script-tag page runs the bundled model on WebAssembly with threads: self-consistency solves it', async ({
  page,
}) => {
  test.skip(!gguf, 'no models/*.gguf in this checkout');
  execFileSync('pnpm', ['exec', 'tsx', 'scripts/build.ts'], { cwd: scriptPkg, stdio: 'ignore' });
  const problems = collectProblems(page);
  // The built files, as a CDN would serve them (the bundle, and the worker beside it).
  await page.context().route('**/cdn/*.js', (route) =>
    route.fulfill({
      path: join(scriptPkg, 'dist', new URL(route.request().url()).pathname.replace(/^\/cdn\//, '')),
      contentType: 'text/javascript',
      headers: {
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cross-Origin-Resource-Policy': 'same-origin',
      },
    }),
  );
  await page.goto(`/e2e/script-tag.html?engine=bundle&model=/models/${gguf}&max-tokens=90`);
  await expectNoWebGpu(page);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  expect(await page.evaluate(() => window.Ruminate.VERSION)).toBe(version);
  const sc = page.locator('#sc');
  await expect(sc.getByRole('status')).toContainText('Ready', { timeout: 180_000 });
  // The element's public `client` is the loaded engine; its ModelInfo says where the model runs.
  const info = await sc.evaluate(async (el) => {
    const client = (el as HTMLElement & { client?: { info(): Promise<unknown> } }).client;
    return (await client?.info()) as { backend?: string; threads?: { count: number; reason: string } };
  });
  expect(info.backend).toBe('wasm');
  expect(info.threads?.count, info.threads?.reason).toBeGreaterThan(1);

  await sc.getByLabel('Your message').fill(PROBLEM.prompt);
  await sc.getByLabel('Your message').press('Enter');
  await expect(sc.getByRole('status')).toContainText('Done', { timeout: 300_000 });
  const rows = await sc.locator('details.trace tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      fate: (tr as HTMLElement).dataset.fate,
      cells: [...tr.children].map((c) => c.textContent ?? ''),
    })),
  );
  // sc@6 under the page's budget (tokens:200): the planner fits as many samples as the budget allows.
  expect(rows.length).toBeGreaterThanOrEqual(2);
  const win = rows.filter((r) => r.fate === 'winner');
  expect(win).toHaveLength(1);
  const [answer, votes] = [win[0]?.cells[1] ?? '', Number(win[0]?.cells[2])];
  expect(answer).toBe(PROBLEM.answer);
  expect(votes).toBe(rows.filter((r) => r.cells[1] === answer).length);
  expect(await sc.locator('li.assistant .answer').textContent()).toContain(answer);
  await sc.locator('details.trace summary').click();
  expect(problems).toEqual([]);
  await screenshot(page, 'no-webgpu-script-tag');
});

test('the playground loads the bundled model on WebAssembly by itself, shows it, and self-consistency solves a problem', async ({
  page,
}) => {
  test.skip(!gguf, 'no models/*.gguf in this checkout');
  const problems = collectProblems(page);
  await page.goto('/playground/?model=bundled');
  await expectNoWebGpu(page);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const status = page.getByTestId('status');
  await expect(status).toHaveText(/^Ready on |^The model did not load\.$/, { timeout: 180_000 });
  const alert = (await page.getByRole('alert').allTextContents()).join(' ');
  const text = (await status.textContent()) ?? '';
  expect(text, alert).toMatch(/^Ready on WebAssembly, \d+ threads\.$/);
  expect(Number(/(\d+) threads/.exec(text)?.[1])).toBeGreaterThan(1);
  // The device panel: the chosen backend and its threads, no WebGPU, the CPU's wasm features.
  await expect(page.getByTestId('backend')).toHaveText(/^The model runs on WebAssembly, \d+ threads\.$/);
  await expect(page.getByTestId('adapter')).toHaveText(
    /^(This browser has no WebGPU|WebGPU is present but gave no adapter).* Ruminate runs the model on the CPU with WebAssembly instead\.$/,
  );
  await expect(page.getByTestId('wasm')).toContainText('SIMD128 yes');
  await expect(page.getByTestId('wasm')).toContainText('threads yes; cross-origin isolated yes');
  await expect(page.getByTestId('auto-backend')).toHaveText(/^WebAssembly, \d+ threads \(no WebGPU here\)$/);
  // The backend switch is there, on Auto; the demo is offered only as a teaching aid.
  const where = page.getByRole('group', { name: 'Where the model computes' });
  await expect(where.getByRole('radio', { name: /^Auto/ })).toBeChecked();
  await expect(where.getByRole('radio', { name: /^WebAssembly/ })).toBeVisible();
  await expect(page.getByRole('radio', { name: /Scripted demo/ })).toHaveAccessibleName(/teaching aid/);
  await expect(page.getByText(/needs? (a )?(WebGPU|GPU)/)).toHaveCount(0);

  await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill(PROBLEM.prompt);
  await page.getByLabel('Strategy').selectOption('sc');
  await page.getByLabel('Samples (N)').fill('5');
  await page.getByLabel('Max tokens each').fill('60');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('answer')).toContainText('Answer:', { timeout: 300_000 });
  const cards = await page.locator('ol.board > li').evaluateAll((lis) =>
    lis.map((li) => ({
      fate: (li as HTMLElement).dataset.fate,
      answer: li.querySelector('dd')?.textContent ?? '',
    })),
  );
  expect(cards).toHaveLength(5);
  const win = cards.filter((c) => c.fate === 'winner');
  expect(win).toHaveLength(1);
  expect(win[0]?.answer).toBe(PROBLEM.answer);
  await expect(page.getByTestId('answer')).toContainText(`extracted “${PROBLEM.answer}”`);
  expect(problems).toEqual([]);
  await screenshot(page, 'no-webgpu-playground');
});
