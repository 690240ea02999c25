// Builds the e2e pages with Vite, then runs the Playwright tests in headless Debian
// Chromium and writes a summary (.cache/test/e2e.json: numPassedTests/numFailedTests)
// for tools/test.sh's closing line. Extra arguments go to `playwright test`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { CHROMIUM } from './support/chromium.ts';
import { repoRoot } from './support/mounts.ts';

if (!existsSync(CHROMIUM)) {
  console.error(`e2e: ${CHROMIUM} is missing. Run tools/setup.sh (installs Debian's chromium).`);
  process.exit(1);
}
await build({ configFile: join(repoRoot, 'e2e/vite.config.ts') });
await build({ configFile: join(repoRoot, 'e2e/vite.webllm-examples.config.ts') });
const playground = join(repoRoot, 'apps/playground');
if (existsSync(join(playground, 'index.html'))) {
  await build({ configFile: join(playground, 'vite.config.ts'), root: playground });
}

mkdirSync(join(repoRoot, '.cache/test'), { recursive: true });
const run = spawnSync(
  'pnpm',
  ['exec', 'playwright', 'test', '-c', 'e2e/playwright.config.ts', ...process.argv.slice(2)],
  {
    cwd: repoRoot,
    stdio: 'inherit',
  },
);
const reportFile = join(repoRoot, '.cache/test/e2e-playwright.json');
const stats = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')).stats : undefined;
writeFileSync(
  join(repoRoot, '.cache/test/e2e.json'),
  JSON.stringify({
    numPassedTests: (stats?.expected ?? 0) + (stats?.flaky ?? 0),
    numFailedTests: (stats?.unexpected ?? 0) + (run.status === 0 ? 0 : stats ? 0 : 1),
  }),
);
process.exit(run.status ?? 1);
