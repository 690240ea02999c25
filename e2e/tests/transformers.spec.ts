// Ruminate's strategies over transformers.js in headless Chromium, on the bundled model converted
// to ONNX (models/mul-onnx): an in-page `createEngine({ engine: transformersEngine(…) })` runs
// self-consistency and best-of-N with the task's checking verifier and compares greedy tokens
// with Ruminate's own engine (wasm backend) on the same page, on transformers.js's wasm device and
// on its WebGPU device (SwiftShader here); then the playground's engine picker loads the model in
// the transformers.js worker and answers a multiplication.
import { expect, type Page, test } from '@playwright/test';
import type { StrategyOutcome, TransformersPageResult } from '../pages/transformers-page.ts';
import { screenshot } from '../support/screenshot.ts';

test.describe.configure({ timeout: 300_000 });

/** Near-ties (top-2 log-probability margin ≤ this) may go either way. */
const MARGIN = 0.1;

async function runPage(page: Page, device: 'wasm' | 'webgpu'): Promise<TransformersPageResult> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/e2e/transformers.html?device=${device}`);
  await page.waitForFunction(() => window.__ruminateTransformers !== undefined, undefined, {
    timeout: 280_000,
  });
  const result = (await page.evaluate(() => window.__ruminateTransformers)) as TransformersPageResult;
  expect(result.error).toBeUndefined();
  expect(errors).toEqual([]);
  return result;
}

/** The trace agrees with the result: the winner is in it and is the returned text, which ends with `#answer`. */
function checkTrace(o: StrategyOutcome | undefined, samples: number): StrategyOutcome & { final: string } {
  expect(o).toBeDefined();
  const r = o as StrategyOutcome;
  expect(r.trace).toHaveLength(samples);
  expect(r.forks).toBeGreaterThanOrEqual(1); // one prefill, forked: the prompt is computed once
  expect(r.stepCalls).toBeGreaterThan(0);
  const winner = r.trace.find((c) => c.id === r.winner);
  expect(winner).toBeDefined();
  expect(r.text).toBe(winner?.text);
  const final = /#(\d+)\s*$/.exec(r.text)?.[1] ?? '';
  expect(final).toMatch(/^\d+$/);
  for (const c of r.trace) expect(c.tokens).toBeGreaterThan(0);
  return { ...r, final };
}

function checkResult(result: TransformersPageResult): void {
  const sc = checkTrace(result.sc, 5);
  // Self-consistency: the answer is the one most candidates extracted.
  const votes = new Map<string, number>();
  for (const c of sc.trace) if (c.answer) votes.set(c.answer, (votes.get(c.answer) ?? 0) + 1);
  expect(sc.answer).toBe(sc.final);
  expect(votes.get(sc.answer as string)).toBe(Math.max(...votes.values()));
  // Best-of-N with the checking verifier: every candidate is scored, the winner has the top
  // score, and a passing solution of 12*34 (every partial product re-checked) ends with #408.
  const bon = checkTrace(result.bon, 4);
  const scores = bon.trace.map((c) => c.score ?? Number.NaN);
  expect(scores.every((x) => x === 0 || x === 1)).toBe(true);
  expect(bon.trace.find((c) => c.id === bon.winner)?.score).toBe(Math.max(...scores));
  for (const c of bon.trace) expect(c.passed).toBe(c.score === 1);
  for (const c of bon.trace) if (c.passed) expect(c.text.trim().endsWith('#408')).toBe(true);
  if (bon.trace.some((c) => c.passed)) expect(bon.final).toBe('408');
  // Greedy parity with Ruminate's engine on this page.
  const greedy = result.greedy ?? [];
  const confident = greedy.filter((g) => g.margin > MARGIN);
  expect(confident.length).toBeGreaterThan(greedy.length / 2);
  expect(confident.filter((g) => g.ruminate !== g.transformers)).toEqual([]);
  console.log(
    `transformers.js (${result.device}): sc answer ${sc.answer}, bon answer ${bon.final} (${bon.trace.filter((c) => c.passed).length}/4 passed); greedy ${confident.length}/${greedy.length} confident positions equal`,
  );
}

test('transformers.js on wasm: self-consistency and best-of-N with the checking verifier, greedy = Ruminate', async ({
  page,
}) => {
  const result = await runPage(page, 'wasm');
  expect(result.backend).toBe('wasm');
  checkResult(result);
  await screenshot(page, 'transformers-wasm');
});

test('transformers.js on WebGPU (SwiftShader): the same strategies and greedy parity', async ({ page }) => {
  const result = await runPage(page, 'webgpu');
  expect(result.backend).toBe('webgpu');
  checkResult(result);
});

test('playground: the engine picker loads the bundled model in the transformers.js worker and answers', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/playground/?model=bundled&engine=transformers&backend=wasm');
  const status = page.getByTestId('status');
  await expect(status).toHaveText(/^(Ready on .*|The model did not load\.)$/, { timeout: 120_000 });
  const alert = (await page.getByRole('alert').allTextContents()).join(' ');
  expect(await status.textContent(), alert).toBe('Ready on WebAssembly (transformers.js).');
  await expect(page.getByRole('radio', { name: /^transformers\.js/ })).toBeChecked();
  expect(page.workers().filter((w) => /transformers-worker/.test(w.url()))).toHaveLength(1);
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('12*34');
  await page.getByLabel('Strategy').selectOption('sc');
  await page.getByLabel('Samples (N)').fill('3');
  await page.getByLabel('Max tokens each').fill('64');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('answer')).toContainText('Answer:', { timeout: 120_000 });
  await expect(page.locator('ol.board > li')).toHaveCount(3);
  await expect(page.locator('ol.board > li.fate-winner')).toHaveCount(1);
  expect(errors).toEqual([]);
  await screenshot(page, 'playground-transformers');
});
