// The playground with the bundled model (models/*.gguf, copied into the site by its build) in a
// Web Worker on WebGPU (SwiftShader here), picked with the backend switch (?backend=webgpu: auto
// would pick WebAssembly on a CPU adapter; e2e/tests/no-webgpu.spec.ts covers that): load it with
// progress, then self-consistency and best-of-N on a multiplication, checking the answer and
// candidates on screen; then the schema box's grammar mode forcing method B (enforced while
// decoding, in the worker, on WebGPU) holds for every candidate.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { repoRoot } from '../support/mounts.ts';
import { screenshot } from '../support/screenshot.ts';

test.describe.configure({ timeout: 300_000, mode: 'serial' });
const bundled = readdirSync(join(repoRoot, 'models')).some((f) => f.endsWith('.gguf'));

async function cards(page: Page) {
  return page.locator('ol.board > li').evaluateAll((lis) =>
    lis.map((li) => {
      const dd = [...li.querySelectorAll('dd')].map((d) => d.textContent ?? '');
      const pre = li.querySelector('pre')?.textContent ?? '';
      return {
        fate: (li as HTMLElement).dataset.fate,
        text: pre,
        answer: dd[0],
        votes: Number(dd[1]),
        score: Number(dd[2]),
      };
    }),
  );
}

test('bundled model: loads in a worker, self-consistency and best-of-N answer 12*34', async ({ page }) => {
  test.skip(!bundled, 'no models/*.gguf in this checkout');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/playground/?model=bundled&backend=webgpu');
  const status = page.getByTestId('status');
  await expect(status).toHaveText(/^(Ready on .*|The model did not load\.)$/, { timeout: 180_000 });
  const alert = (await page.getByRole('alert').allTextContents()).join(' ');
  expect(await status.textContent(), alert).toBe('Ready on WebGPU.');
  await expect(page.getByRole('radio', { name: /^WebGPU/ })).toBeChecked();
  await expect(page.getByTestId('backend')).toHaveText('The model runs on WebGPU.');
  // The controller's default engine: the model runs in a dedicated Web Worker, never on the page.
  expect(page.workers().filter((w) => /engine-worker/.test(w.url()))).toHaveLength(1);
  // Progress was reported: the weights' bytes (download or upload to the GPU) and kernel compilation.
  const bars = await page.locator('.progress .bar').allTextContents();
  expect(bars.join(' | ')).toMatch(/\d+\.\d of \d+\.\d MB/);
  expect(bars.find((b) => b.startsWith('Kernel compilation'))).toMatch(/\d+ of \d+/);
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('12*34');
  await page.getByLabel('Strategy').selectOption('sc');
  await page.getByLabel('Samples (N)').fill('3');
  await page.getByLabel('Max tokens each').fill('90');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('answer')).toContainText('Answer:', { timeout: 240_000 });
  let c = await cards(page);
  expect(c).toHaveLength(3);
  const win = c.find((x) => x.fate === 'winner');
  expect(win?.answer).toMatch(/^\d+$/);
  expect(win?.votes).toBe(c.filter((x) => x.answer === win?.answer).length);
  await expect(page.getByTestId('answer')).toContainText(`extracted “${win?.answer}”`);
  await screenshot(page, 'playground-bundled-sc');

  await page.getByLabel('Strategy').selectOption('bon');
  await page.getByLabel('Samples (N)').fill('2');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('answer')).toContainText('Answer:', { timeout: 240_000 });
  c = await cards(page);
  expect(c).toHaveLength(2);
  const best = Math.max(...c.map((x) => x.score));
  expect(c.find((x) => x.fate === 'winner')?.score).toBe(best);
  await screenshot(page, 'playground-bundled-bon');

  // The schema box, grammar mode: method B only (the bundled model's vocabulary cannot spell JSON).
  await page.getByLabel('Output shape').selectOption('grammar');
  await page
    .getByRole('textbox', { name: /^Grammar/ })
    .fill(
      [
        'root ::= "B:" step ("," step)* "#" num',
        'step ::= num ("*" | "+") num "=" num',
        'num ::= [0-9]+',
      ].join('\n'),
    );
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('47*36');
  await page.getByLabel('Strategy').selectOption('sc');
  await page.getByLabel('Samples (N)').fill('3');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('answer')).toContainText('Answer:', { timeout: 240_000 });
  c = await cards(page);
  expect(c).toHaveLength(3);
  for (const x of c) expect(x.text).toMatch(/^B:\d+[*+]\d+=\d+(,\d+[*+]\d+=\d+)*#\d+$/);
  await expect(page.getByTestId('output-error')).toHaveCount(0);
  expect(errors).toEqual([]);
  await screenshot(page, 'playground-bundled-grammar');
});
