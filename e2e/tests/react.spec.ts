// @ruminate/react component checks in Chromium against React 19 (the workspace's, built with the
// other e2e pages) and React 18 (the same page rebuilt with react/react-dom aliased to the
// react18/react-dom18 dev dependencies, served from .cache/e2e-react18).
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { build } from 'vite';
import { repoRoot } from '../support/mounts.ts';
import { screenshot } from '../support/screenshot.ts';

test.describe.configure({ timeout: 120_000 });
const out18 = join(repoRoot, '.cache/e2e-react18');

async function checks(page: Page, major: string) {
  await page.waitForFunction(() => window.__reactChecks !== undefined, undefined, { timeout: 90_000 });
  const r = await page.evaluate(() => window.__reactChecks);
  expect(r?.react.split('.')[0]).toBe(major);
  expect(r?.checks.map((c) => c.name)).toHaveLength(5);
  for (const c of r?.checks ?? []) expect(c.ok, `${c.name}: ${c.detail}`).toBe(true);
}

test('React 19: SSR, shared provider, live generate, streaming completion, abort on unmount', async ({
  page,
}) => {
  await page.goto('/e2e/react-hooks.html');
  await checks(page, '19');
  await screenshot(page, 'react-19');
});

test('React 18: the same checks', async ({ page }) => {
  const reactDir = join(repoRoot, 'packages/react/node_modules');
  await build({
    configFile: false,
    root: join(repoRoot, 'e2e/pages'),
    base: '/react18/',
    logLevel: 'error',
    resolve: {
      alias: [
        { find: /^react-dom(\/.*)?$/, replacement: join(reactDir, 'react-dom18') + '$1' },
        { find: /^react(\/.*)?$/, replacement: join(reactDir, 'react18') + '$1' },
      ],
    },
    build: {
      outDir: out18,
      emptyOutDir: true,
      target: 'es2022',
      rollupOptions: { input: join(repoRoot, 'e2e/pages/react-hooks.html') },
    },
  });
  await page.route('**/react18/**', (route) => {
    const path = new URL(route.request().url()).pathname.replace(/^\/react18\//, '');
    return route.fulfill({ path: join(out18, path) });
  });
  await page.goto('/react18/react-hooks.html');
  await checks(page, '18');
  await screenshot(page, 'react-18');
});
