import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What the e2e server serves: built test pages, the built playground, models and fixtures. */
export const e2eMounts = {
  '/e2e/': join(repoRoot, 'e2e/.tmp/dist'),
  '/playground/': join(repoRoot, 'apps/playground/dist'),
  '/models/': join(repoRoot, 'models'),
  '/fixtures/': join(repoRoot, '.cache/fixtures'),
  '/node_modules/': join(repoRoot, 'node_modules'),
};

/** Port the e2e server listens on. */
export const E2E_PORT = Number(process.env.RUMINATE_E2E_PORT ?? 4731);
