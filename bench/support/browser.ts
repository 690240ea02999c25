// Runs benchmark code on a page in headless Debian Chromium (WebGPU on SwiftShader here,
// the real GPU elsewhere): builds bench/pages with Vite, serves them with COOP/COEP next
// to node_modules, models and fixtures, and hands back a Playwright page.
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS } from '../../e2e/support/chromium.ts';
import { e2eMounts, repoRoot } from '../../e2e/support/mounts.ts';
import { serveStatic } from '../../e2e/support/static-server.ts';

/** A served bench page in a running browser; `close` stops both. */
export interface BenchBrowser {
  /** The page, already at `/bench/<name>.html`. */
  page: Page;
  /** Base URL of the server. */
  url: string;
  /** Closes the browser and the server. */
  close(): Promise<void>;
}

/** Builds bench/pages, serves them at /bench/, opens `<name>.html` in headless Chromium. */
export async function openBenchPage(name: string, log: (line: string) => void): Promise<BenchBrowser> {
  await build({ configFile: join(repoRoot, 'bench/pages/vite.config.ts'), logLevel: 'warn' });
  const { server, url } = await serveStatic({ ...e2eMounts, '/bench/': join(repoRoot, 'bench/.tmp/dist') });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') log(`[page] ${m.text()}`);
    });
    await page.goto(`${url}/bench/${name}.html`);
    const open = browser;
    return {
      page,
      url,
      async close() {
        await open.close();
        server.close();
      },
    };
  } catch (e) {
    await browser?.close();
    server.close();
    throw e;
  }
}
