// The README's evaluation, run on a page in headless Chromium (WebGPU; on this machine
// SwiftShader): runEval over the first N held-out problems of the bundled model, written to
// docs/eval/mul-browser.json and docs/eval/mul-browser.svg (the Node run of `ruminate eval` owns docs/eval/mul.*). Usage:
//   pnpm exec tsx bench/eval-in-browser.ts [PROBLEMS] [STRATEGIES]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evalChartSvg } from '@ruminate/controller';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS } from '../e2e/support/chromium.ts';
import { e2eMounts, repoRoot } from '../e2e/support/mounts.ts';
import { serveStatic } from '../e2e/support/static-server.ts';

const problems = Number(process.argv[2] ?? 50);
const strategies = process.argv[3] ?? 'greedy,pass@1,sc@4,sc@16,bon@4,bon@16,pass@16';
await build({ configFile: join(repoRoot, 'e2e/vite.config.ts'), logLevel: 'warn' });
const { server, url } = await serveStatic(e2eMounts);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
try {
  const page = await browser.newPage();
  const started = Date.now();
  await page.goto(`${url}/e2e/eval.html?problems=${problems}&strategies=${encodeURIComponent(strategies)}`);
  const timer = setInterval(async () => {
    const status = await page
      .locator('#status')
      .textContent()
      .catch(() => '');
    console.error(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${status}`);
  }, 30_000);
  await page.waitForFunction(() => window.__ruminateEval !== undefined, undefined, { timeout: 0 });
  clearInterval(timer);
  const result = await page.evaluate(() => window.__ruminateEval);
  if (!result?.report) throw new Error(result?.error ?? 'no report');
  const userAgent = await page.evaluate(() => navigator.userAgent);
  const out = {
    ...result.report,
    model: 'models/mul-q8_0.gguf',
    where: `headless Chromium page (${userAgent}), adapter ${result.adapter}`,
    date: new Date().toISOString(),
    loadMs: result.loadMs,
    evalMs: result.evalMs,
  };
  mkdirSync(join(repoRoot, 'docs/eval'), { recursive: true });
  writeFileSync(join(repoRoot, 'docs/eval/mul-browser.json'), `${JSON.stringify(out, null, 1)}\n`);
  writeFileSync(
    join(repoRoot, 'docs/eval/mul-browser.svg'),
    evalChartSvg(
      result.report,
      `mul: accuracy vs test-time compute (${problems} held-out problems, in the browser)`,
    ),
  );
  console.log(JSON.stringify(out.rows));
} finally {
  await browser.close();
  server.close();
}
