import { expect, test } from '@playwright/test';
import { screenshot } from '../support/screenshot.ts';

test('DeviceProfile on the page and in a Web Worker name the same adapter with positive numbers', async ({
  page,
}) => {
  await page.goto('/e2e/device.html');
  // WebGPU must be there: a missing navigator.gpu fails this test, it never skips.
  expect(await page.evaluate(() => 'gpu' in navigator)).toBe(true);
  await page.waitForFunction(() => window.__ruminateProfiles !== undefined, undefined, { timeout: 240_000 });
  const result = await page.evaluate(() => window.__ruminateProfiles);
  expect(result?.error).toBeUndefined();
  const { page: onPage, worker } = result ?? {};
  expect(onPage?.context).toBe('page');
  expect(worker?.context).toBe('worker');
  expect(worker?.adapter).toEqual(onPage?.adapter);
  for (const p of [onPage, worker]) {
    for (const v of [p?.bandwidthGBps, p?.matmulGflops, p?.dispatchUs, p?.readbackMs]) {
      expect(Number.isFinite(v) && (v as number) > 0).toBe(true);
    }
  }
  await screenshot(page, 'device-profile');
});
