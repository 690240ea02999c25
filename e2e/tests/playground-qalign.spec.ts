// QAlign in the playground with the bundled model (models/*.gguf) on the WebAssembly backend
// (?backend=wasm): the strategy is in the picker, the run answers, and the MCMC chains are drawn —
// one row per chain, every proposal marked accepted or rejected, as many as the trace has.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { repoRoot } from '../support/mounts.ts';
import { screenshot } from '../support/screenshot.ts';

test.describe.configure({ timeout: 300_000 });
const bundled = readdirSync(join(repoRoot, 'models')).some((f) => f.endsWith('.gguf'));

test('bundled model: QAlign answers 12*34 and draws its chains of accepted and rejected proposals', async ({
  page,
}) => {
  test.skip(!bundled, 'no models/*.gguf in this checkout');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/playground/?model=bundled&backend=wasm');
  await expect(page.getByTestId('status')).toHaveText(/^(Ready on .*|The model did not load\.)$/, {
    timeout: 180_000,
  });
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('12*34');
  await page.getByLabel('Strategy').selectOption('qalign');
  await page.getByLabel('Samples (N)').fill('12');
  await page.getByLabel('Max tokens each').fill('64');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('answer')).toContainText('Answer:', { timeout: 240_000 });
  // 12 states in 4 chains: 4 first samples and 8 proposals, 2 per chain.
  const chains = page.getByTestId('chains');
  await expect(chains.locator(':scope > li')).toHaveCount(4);
  const moves = await chains
    .locator('li.move')
    .evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.move));
  expect(moves).toHaveLength(8);
  for (const m of moves) expect(['accepted', 'rejected']).toContain(m);
  const heading = await page.getByRole('heading', { name: /MCMC chains/ }).textContent();
  const accepted = moves.filter((m) => m === 'accepted').length;
  expect(heading).toContain(`${accepted} accepted, ${8 - accepted} rejected of 8 proposals`);
  // Rejected proposals are marked on the candidate board too.
  await expect(page.locator('ol.board > li[data-fate="rejected"]')).toHaveCount(8 - accepted);
  expect(errors).toEqual([]);
  await screenshot(page, 'playground-qalign');
});
