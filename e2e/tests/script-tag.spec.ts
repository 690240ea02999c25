// The script-tag door: the built IIFE bundle (packages/script/dist) on a page with a strict CSP,
// two <ruminate-chat> elements running self-consistency and best-of-N; asserts on the answer
// and the trace rendered in the elements. Structured output: bad response-format / grammar
// attributes show the typed error in the element, and on the bundled model grammar="#method-b"
// (a <script type="text/plain"> on the page) holds for every candidate.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { repoRoot } from '../support/mounts.ts';
import { screenshot } from '../support/screenshot.ts';

const scriptPkg = join(repoRoot, 'packages/script');
const { version } = JSON.parse(readFileSync(join(scriptPkg, 'package.json'), 'utf8')) as { version: string };
const bundle = join(scriptPkg, 'dist', `ruminate-${version}.js`);

test.describe.configure({ timeout: 120_000 });

test.beforeAll(() => {
  // Always the bundle of the current sources.
  execFileSync('pnpm', ['exec', 'tsx', 'scripts/build.ts'], { cwd: scriptPkg, stdio: 'ignore' });
  expect(existsSync(bundle)).toBe(true);
});

async function open(page: Page, query = ''): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  // The built files, as a CDN would serve them (the bundle, and the worker beside it).
  await page.context().route('**/cdn/*.js', (route) =>
    route.fulfill({
      path: join(scriptPkg, 'dist', new URL(route.request().url()).pathname.replace(/^\/cdn\//, '')),
      contentType: 'text/javascript',
      // The page is cross-origin isolated (COOP/COEP): a worker script needs COEP itself.
      headers: {
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cross-Origin-Resource-Policy': 'same-origin',
      },
    }),
  );
  await page.goto(`/e2e/script-tag.html${query}`);
  return problems;
}

test('window.Ruminate exposes the controller API and <ruminate-chat> is defined, under a strict CSP', async ({
  page,
}) => {
  const problems = await open(page);
  const api = await page.evaluate(() => ({
    keys: Object.keys(window.Ruminate),
    version: window.Ruminate.VERSION,
    defined: customElements.get('ruminate-chat') !== undefined,
    strategies: window.Ruminate.listStrategies().map((s) => s.name),
  }));
  expect(api.version).toBe(version);
  expect(api.defined).toBe(true);
  for (const k of [
    'createEngine',
    'parseStrategy',
    'RuminateError',
    'setDefaultEngine',
    'RuminateChatElement',
  ]) {
    expect(api.keys).toContain(k);
  }
  expect(api.strategies).toEqual(expect.arrayContaining(['sc', 'bon', 'greedy']));
  await expect(page.locator('#sc').getByRole('status')).toContainText('Ready', { timeout: 30_000 });
  expect(problems.filter((p) => /Content Security Policy|unsafe-eval/i.test(p))).toEqual([]);
});

test('self-consistency and best-of-N answer in the elements, with their traces', async ({ page }) => {
  const problems = await open(page);
  const sc = page.locator('#sc');
  await expect(sc.getByRole('status')).toContainText('Ready', { timeout: 30_000 });
  await sc.getByLabel('Your message').fill('What is 12*12?');
  await sc.getByLabel('Your message').press('Enter');
  await expect(sc.getByRole('status')).toContainText('Done', { timeout: 30_000 });
  const answer = (await sc.locator('li.assistant .answer').textContent()) ?? '';
  expect(answer).toMatch(/^The answer is \d+\.$/);
  // Six candidates ran; the trace table marks exactly one winner, whose answer is the most voted.
  const rows = sc.locator('details.trace tbody tr');
  await expect(rows).toHaveCount(6);
  const table = await rows.evaluateAll((trs) =>
    trs.map((tr) => ({
      fate: (tr as HTMLElement).dataset.fate,
      cells: [...tr.children].map((c) => c.textContent ?? ''),
    })),
  );
  const winners = table.filter((r) => r.fate === 'winner');
  expect(winners).toHaveLength(1);
  const win = winners[0]?.cells ?? [];
  const votes = Number(win[2]);
  expect(answer).toMatch(new RegExp(`^The answer is 0*${win[1]}\\.$`));
  expect(votes).toBe(table.filter((r) => r.cells[1] === win[1]).length);
  for (const r of table) expect(Number(r.cells[2])).toBeLessThanOrEqual(votes);
  await expect(sc.locator('details.trace summary')).toContainText(
    `sc@6 · 6 candidates · answer ${win[1]} (${votes} of 6 votes)`,
  );
  // Streaming columns, one per candidate, settled with their fates.
  await expect(sc.locator('.candidates .candidate')).toHaveCount(6);
  await expect(sc.locator('.candidates .candidate[data-fate="winner"]')).toHaveCount(1);

  const bon = page.locator('#bon');
  await expect(bon.getByRole('status')).toContainText('Ready');
  await bon.getByLabel('Your message').fill('7*8=');
  await bon.getByRole('button', { name: 'Send' }).click();
  await expect(bon.getByRole('status')).toContainText('Done', { timeout: 30_000 });
  const bonRows = bon.locator('details.trace tbody tr');
  await expect(bonRows).toHaveCount(4);
  // Best-of-N: the winner has the highest verifier score (mean log-probability by default).
  const scored = await bonRows.evaluateAll((trs) =>
    trs.map((tr) => ({ fate: (tr as HTMLElement).dataset.fate, score: Number(tr.children[3]?.textContent) })),
  );
  const best = Math.max(...scored.map((r) => r.score));
  expect(scored.every((r) => Number.isFinite(r.score))).toBe(true);
  expect(scored.find((r) => r.fate === 'winner')?.score).toBe(best);
  const bonAnswer = (await bon.locator('li.assistant .answer').textContent()) ?? '';
  expect(bonAnswer).toMatch(/^The answer is \d+\.$/);
  await sc.locator('details.trace summary').click();
  await bon.locator('details.trace summary').click();
  expect(problems).toEqual([]);
  await screenshot(page, 'script-tag');
});

test('bad structured-output attributes show the typed error in the element', async ({ page }) => {
  const problems = await open(page);
  const sc = page.locator('#sc');
  await expect(sc.getByRole('status')).toContainText('Ready', { timeout: 30_000 });
  const ask = async () => {
    await sc.getByLabel('Your message').fill('What is 12*12?');
    await sc.getByLabel('Your message').press('Enter');
  };
  await sc.evaluate((e) => e.setAttribute('response-format', '{"type": "object",'));
  await ask();
  await expect(sc.getByRole('status')).toHaveText('Something went wrong.');
  await expect(sc.getByRole('alert')).toContainText('response-format="{"type": "object"," is not JSON');
  await sc.evaluate((e) => {
    e.removeAttribute('response-format');
    e.setAttribute('grammar', '#no-such-grammar');
  });
  await ask();
  await expect(sc.getByRole('alert')).toContainText('grammar="#no-such-grammar" names no element');
  // Refused before anything was sent: no turn in the log.
  await expect(sc.locator('li.assistant')).toHaveCount(0);
  // A grammar that parses reaches the controller; the scripted demo engine cannot enforce one and says so.
  await sc.evaluate((e) => e.setAttribute('grammar', '#method-b'));
  await ask();
  await expect(sc.getByRole('alert')).toContainText('cannot enforce a grammar or regex');
  expect(problems).toEqual([]);
});

test('no setup: the bundle starts its own worker (ruminate-worker-<version>.js) and runs the bundled model, SC and BoN', async ({
  page,
}) => {
  const gguf = readdirSync(join(repoRoot, 'models')).find((f) => f.endsWith('.gguf'));
  test.skip(!gguf, 'no models/*.gguf in this checkout');
  const problems = await open(page, `?engine=bundle&model=/models/${gguf}&max-tokens=90`);
  const sc = page.locator('#sc');
  await expect(sc.getByRole('status')).toContainText('Ready', { timeout: 180_000 });
  await sc.getByLabel('Your message').fill('12*34');
  await sc.getByLabel('Your message').press('Enter');
  await expect(sc.getByRole('status')).toContainText('Done', { timeout: 240_000 });
  const rows = await sc.locator('details.trace tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      fate: (tr as HTMLElement).dataset.fate,
      cells: [...tr.children].map((c) => c.textContent ?? ''),
    })),
  );
  expect(rows.length).toBeGreaterThanOrEqual(1);
  const win = rows.filter((r) => r.fate === 'winner');
  expect(win).toHaveLength(1);
  const [answer, votes] = [win[0]?.cells[1] ?? '', Number(win[0]?.cells[2])];
  expect(answer).toMatch(/^\d+$/);
  expect(votes).toBe(rows.filter((r) => r.cells[1] === answer).length);
  expect(await sc.locator('li.assistant .answer').textContent()).toContain(answer);

  const bon = page.locator('#bon');
  await expect(bon.getByRole('status')).toContainText('Ready', { timeout: 180_000 });
  await bon.getByLabel('Your message').fill('21*13');
  await bon.getByRole('button', { name: 'Send' }).click();
  await expect(bon.getByRole('status')).toContainText('Done: 4 candidates', { timeout: 240_000 });
  const scored = await bon.locator('details.trace tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      fate: (tr as HTMLElement).dataset.fate,
      score: Number(tr.children[3]?.textContent),
    })),
  );
  expect(scored.every((r) => Number.isFinite(r.score))).toBe(true);
  expect(scored.find((r) => r.fate === 'winner')?.score).toBe(Math.max(...scored.map((r) => r.score)));

  // grammar="#method-b": every candidate writes method B, enforced while decoding in the worker.
  await sc.evaluate((e) => e.setAttribute('grammar', '#method-b'));
  await sc.getByLabel('Your message').fill('47*36');
  await sc.getByLabel('Your message').press('Enter');
  await expect(sc.getByRole('status')).toContainText('Done', { timeout: 240_000 });
  const methodB = /^B:\d+[*+]\d+=\d+(,\d+[*+]\d+=\d+)*#\d+$/;
  const texts = await sc.locator('li.assistant').nth(1).locator('.candidate-text').allTextContents();
  expect(texts.length).toBeGreaterThanOrEqual(1);
  for (const t of texts) expect(t).toMatch(methodB);
  expect((await sc.locator('li.assistant').nth(1).locator('.answer').textContent()) ?? '').toMatch(methodB);
  expect(problems).toEqual([]);
  await screenshot(page, 'script-tag-bundled-model');
});
