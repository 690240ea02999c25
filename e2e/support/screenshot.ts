import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { repoRoot } from './mounts.ts';

/** Keeps a full-page screenshot of the test's page under e2e/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(repoRoot, 'e2e/screenshots', `${name}.png`), fullPage: true });
}
