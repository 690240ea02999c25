// The playground site (apps/playground/dist): load a model, see the plan, run self-consistency
// and best-of-N and check the answer and the candidates on screen; keyboard use, an axe-core
// audit, and phone width.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { repoRoot } from '../support/mounts.ts';
import { screenshot } from '../support/screenshot.ts';

// The scripted demo runs in a second or two; a stuck test should fail fast, not after 5 minutes.
test.describe.configure({ timeout: 90_000 });

function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return errors;
}

async function loadDemo(page: Page) {
  await page.goto('/playground/?model=demo');
  await expect(page.getByTestId('status')).toHaveText('Ready (scripted demo model).', { timeout: 30_000 });
}

/** Reads the candidate cards: fate, answer, votes and score. */
async function cards(page: Page) {
  return page.locator('ol.board > li').evaluateAll((lis) =>
    lis.map((li) => {
      const dd = [...li.querySelectorAll('dd')].map((d) => d.textContent ?? '');
      return {
        fate: (li as HTMLElement).dataset.fate,
        answer: dd[0],
        votes: Number(dd[1]),
        score: Number(dd[2]),
      };
    }),
  );
}

test('self-consistency: plan first, then the answer with the most votes wins', async ({ page }) => {
  const errors = collectErrors(page);
  await loadDemo(page);
  await page.getByLabel('Strategy').selectOption('sc');
  await page.getByLabel('Samples (N)').fill('6');
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('68*24=');
  await page.getByRole('button', { name: 'Show plan' }).click();
  const plan = page.getByTestId('plan');
  await expect(plan).toContainText('sc, N = 6');
  await expect(plan).toContainText('Max tokens each');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('answer')).toContainText('Answer:', { timeout: 30_000 });
  const c = await cards(page);
  expect(c).toHaveLength(6);
  const winners = c.filter((x) => x.fate === 'winner');
  expect(winners).toHaveLength(1);
  const win = winners[0];
  expect(win?.votes).toBe(c.filter((x) => x.answer === win?.answer).length);
  for (const x of c) expect(x.votes).toBeLessThanOrEqual(win?.votes ?? 0);
  const winnerText = await page.locator('ol.board > li.fate-winner pre').textContent();
  expect(winnerText).toMatch(new RegExp(`^The answer is 0*${win?.answer}\\.$`));
  await expect(page.getByTestId('answer')).toContainText(`Answer: ${winnerText}`);
  await expect(page.getByTestId('answer')).toContainText(`${win?.votes} of 6 votes`);
  await expect(page.locator('ol.board > li.fate-winner')).toHaveCount(1);
  expect(errors).toEqual([]);
  await screenshot(page, 'playground-self-consistency');
});

test('best-of-N: the winner has the highest verifier score', async ({ page }) => {
  await loadDemo(page);
  await page.getByLabel('Strategy').selectOption('bon');
  await page.getByLabel('Samples (N)').fill('4');
  await page.getByLabel('Budget').selectOption('tokens');
  await page.getByLabel('Token budget').fill('300');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('answer')).toContainText('Answer: The answer is', { timeout: 30_000 });
  const c = await cards(page);
  expect(c.length).toBeGreaterThanOrEqual(1);
  expect(c.every((x) => Number.isFinite(x.score))).toBe(true);
  const best = Math.max(...c.map((x) => x.score));
  expect(c.find((x) => x.fate === 'winner')?.score).toBe(best);
  await expect(page.getByTestId('plan')).toContainText('bon');
  await screenshot(page, 'playground-best-of-n');
});

test('the schema box: a bad JSON Schema is a typed error beside it and nothing runs; the demo cannot enforce a grammar', async ({
  page,
}) => {
  const errors = collectErrors(page);
  await loadDemo(page);
  await page.getByLabel('Output shape').selectOption('json_schema');
  const box = page.getByRole('textbox', { name: 'JSON Schema' });
  await expect(box).toHaveValue(/"type": "object"/);
  await box.fill('{"type": "object",');
  await expect(page.getByTestId('output-error')).toContainText('The JSON Schema is not JSON');
  await expect(page.getByTestId('output-error')).toContainText('[invalid-schema]');
  await expect(box).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeDisabled();
  await box.fill('[1, 2]');
  await expect(page.getByTestId('output-error')).toContainText('must be a JSON object');
  await box.fill('{"type": "object"}');
  await expect(page.getByTestId('output-error')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
  // A grammar reaches the controller; the scripted demo has no constrained decoding, and says so beside the box.
  await page.getByLabel('Output shape').selectOption('grammar');
  await expect(page.getByRole('textbox', { name: /^Grammar/ })).toHaveValue(/^root ::= "B:"/);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('output-error')).toContainText('cannot enforce a grammar or regex');
  await expect(page.getByTestId('output-error')).toContainText('[grammar-unavailable]');
  await page.getByLabel('Output shape').selectOption('free');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('answer')).toContainText('Answer:', { timeout: 30_000 });
  await expect(page.getByTestId('output-error')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('works from the keyboard alone', async ({ page }) => {
  await page.goto('/playground/');
  await page.getByRole('radio', { name: /Bundled model/ }).focus();
  // Radios move with the arrow keys; the demo is the last choice.
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('radio', { name: /Scripted demo/ })).toBeChecked();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Load model' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('status')).toHaveText('Ready (scripted demo model).', { timeout: 30_000 });
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).focus();
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('answer')).toContainText('Answer:', { timeout: 30_000 });
  await screenshot(page, 'playground-keyboard');
});

test('axe-core finds no serious or critical accessibility violations', async ({ page }) => {
  await loadDemo(page);
  await page.getByRole('button', { name: 'Show plan' }).click();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('answer')).toContainText('Answer:', { timeout: 30_000 });
  // The accuracy-vs-compute chart is drawn from docs/eval/*.json when the checkout has results.
  const evals = existsSync(join(repoRoot, 'docs/eval'))
    ? readdirSync(join(repoRoot, 'docs/eval')).filter((f) => f.endsWith('.json'))
    : [];
  const charts = page.getByRole('img', { name: /Accuracy against generated tokens/ });
  if (evals.length > 0) await expect(charts.first()).toBeVisible();
  else await expect(page.getByText('No evaluation results yet')).toBeVisible();
  await page.addScriptTag({ path: join(repoRoot, 'node_modules/axe-core/axe.min.js') });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            ctx: Document,
          ) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }>;
        };
      }
    ).axe;
    const r = await axe.run(document);
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, JSON.stringify(serious, null, 1)).toEqual([]);
  await screenshot(page, 'playground-axe');
});

test('readable at phone width (375×812): no sideways scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 812 });
  await loadDemo(page);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('answer')).toContainText('Answer:', { timeout: 30_000 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(375);
  await screenshot(page, 'playground-phone');
});

test('without WebGPU: the device panel says the CPU runs the model; the demo is only a teaching aid', async ({
  page,
}) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await page.goto('/playground/');
  await expect(page.getByTestId('adapter')).toHaveText(
    'This browser has no WebGPU. Ruminate runs the model on the CPU with WebAssembly instead.',
  );
  await expect(page.getByTestId('wasm')).toContainText('SIMD128 yes');
  await expect(page.getByTestId('wasm')).toContainText('cross-origin isolated yes');
  await expect(page.getByTestId('auto-backend')).toHaveText(/^WebAssembly, \d+ threads? \(no WebGPU here\)$/);
  // Not an error, and no pointer to the demo as the way out.
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.getByText(/needs? (a )?(WebGPU|GPU)/)).toHaveCount(0);
  const demo = page.getByRole('radio', { name: /Scripted demo/ });
  await expect(demo).toHaveAccessibleName(/teaching aid, not a language model/);
  // The backend switch applies to real models only.
  const where = page.getByRole('group', { name: 'Where the model computes' });
  await expect(where.getByRole('radio', { name: /^Auto/ })).toBeChecked();
  await expect(where.getByRole('radio', { name: /^WebAssembly/ })).toBeEnabled();
  await demo.check();
  await expect(where.getByRole('radio', { name: /^WebAssembly/ })).toBeDisabled();
  await page.getByRole('button', { name: 'Load model' }).click();
  await expect(page.getByTestId('status')).toHaveText('Ready (scripted demo model).', { timeout: 30_000 });
  await screenshot(page, 'playground-no-webgpu');
});

test('runs a small eval live: greedy and sc@4 over the first problems of the bundled eval set', async ({
  page,
}) => {
  await loadDemo(page);
  await page.getByRole('button', { name: 'Run a small eval' }).click();
  const table = page.getByTestId('live-eval');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await expect(table.locator('tbody tr').nth(1)).toContainText(/of 5/, { timeout: 60_000 });
  const rows = await table
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')));
  expect(rows.map((r) => r[0])).toEqual(['greedy', 'sc@4']);
  for (const r of rows) {
    const [correct, of] = (r[1] ?? '').split(' of ').map(Number);
    expect(of).toBe(5);
    expect(correct).toBeGreaterThanOrEqual(0);
    expect(r[2]).toBe(`${Math.round((100 * (correct ?? 0)) / 5)}%`);
    expect(Number(r[3])).toBeGreaterThan(0);
  }
  await screenshot(page, 'playground-live-eval');
});
