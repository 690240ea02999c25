import { defineConfig } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from './support/chromium.ts';
import { E2E_PORT } from './support/mounts.ts';

// e2e tests in headless Debian Chromium (WebGPU on SwiftShader). Pages are built by
// e2e/run.ts with Vite before this runs; the server below serves them with COOP/COEP.
export default defineConfig({
  testDir: './tests',
  outputDir: '../.cache/e2e-results',
  timeout: 300_000,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [['list'], ['json', { outputFile: '../.cache/test/e2e-playwright.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    browserName: 'chromium',
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
    headless: true,
    viewport: { width: 1280, height: 800 },
  },
  webServer: {
    command: 'pnpm exec tsx e2e/support/serve.ts',
    cwd: '..',
    url: `http://127.0.0.1:${E2E_PORT}/e2e/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
