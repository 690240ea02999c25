import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { repoRoot } from '../support/mounts.ts';
import { screenshot } from '../support/screenshot.ts';

// runEval on the page's WebGPU (headless Chromium, SwiftShader) over the first problems of the
// bundled model's held-out set. SwiftShader decodes this model at a few tok/s here, so CI runs
// RUMINATE_E2E_EVAL_PROBLEMS (default 12, ~1.5 min) problems; the issue's ≥ 50-problem run is
//   RUMINATE_E2E_EVAL_PROBLEMS=50 pnpm exec tsx e2e/run.ts eval.spec
// At a subset size the model's manifest has a floor for (12: ciFloorShort, 50: ciFloor), greedy
// accuracy must reach it, as in the Node CI eval.
const PROBLEMS = Number(process.env.RUMINATE_E2E_EVAL_PROBLEMS ?? 12);
const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/mul-q8_0.json'), 'utf8')) as Record<
  string,
  { problems?: number; greedyAccuracy?: number } | undefined
>;
const floor = [manifest.ciFloorShort, manifest.ciFloor].find((f) => f?.problems === PROBLEMS)?.greedyAccuracy;

test(`runEval in the page: greedy and sc@4 accuracy rows on ${PROBLEMS} held-out problems${floor === undefined ? '' : `, greedy ≥ ${floor}`}`, async ({
  page,
}) => {
  test.setTimeout(120_000 + PROBLEMS * 120_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/e2e/eval.html?problems=${PROBLEMS}&strategies=greedy,sc@4&seed=1`);
  expect(await page.evaluate(() => 'gpu' in navigator)).toBe(true);
  await page.waitForFunction(() => window.__ruminateEval !== undefined, undefined, {
    timeout: 60_000 + PROBLEMS * 120_000,
  });
  const result = await page.evaluate(() => window.__ruminateEval);
  expect(result?.error).toBeUndefined();
  const report = result?.report;
  expect(report?.problems).toBe(PROBLEMS);
  expect(report?.rows.map((r) => r.strategy)).toEqual(['greedy', 'sc@4']);
  for (const r of report?.rows ?? []) {
    expect(r.accuracy, r.strategy).toBeGreaterThanOrEqual(0);
    expect(r.accuracy, r.strategy).toBeLessThanOrEqual(1);
    expect(r.ci[0], r.strategy).toBeLessThanOrEqual(r.accuracy + 1e-12);
    expect(r.ci[1], r.strategy).toBeGreaterThanOrEqual(r.accuracy - 1e-12);
    expect(r.meanMs, r.strategy).toBeGreaterThan(0);
  }
  const [greedy, sc4] = report?.rows ?? [];
  // Greedy is 0/1 per problem; a worked solution is 20–45 tokens and sc@4 draws four.
  expect(Number.isInteger(Math.round((greedy?.accuracy ?? -1) * PROBLEMS * 1e9) / 1e9)).toBe(true);
  expect(greedy?.meanTokens).toBeGreaterThan(15);
  expect(greedy?.meanTokens).toBeLessThan(65);
  expect(sc4?.meanTokens).toBeGreaterThan(2.5 * (greedy?.meanTokens ?? 0));
  expect(sc4?.method).toBe('pool');
  // The table shows the same rows.
  await expect(page.locator('tr[data-strategy="greedy"]')).toHaveCount(1);
  await expect(page.locator('tr[data-strategy="sc@4"]')).toHaveCount(1);
  console.log(
    `eval page: ${PROBLEMS} problems on ${result?.adapter}; load ${((result?.loadMs ?? 0) / 1000).toFixed(1)} s, eval ${((result?.evalMs ?? 0) / 1000).toFixed(1)} s; ${report?.rows.map((r) => `${r.strategy} ${(r.accuracy * 100).toFixed(1)}% (${r.meanTokens.toFixed(1)} tok)`).join(', ')}`,
  );
  if (floor !== undefined)
    expect(greedy?.accuracy, `greedy vs the manifest's floor`).toBeGreaterThanOrEqual(floor);
  expect(errors).toEqual([]);
  await screenshot(page, 'eval');
});
