// Runs the e2e static server until killed (Playwright's webServer starts this).
import { E2E_PORT, e2eMounts } from './mounts.ts';
import { serveStatic } from './static-server.ts';

const { url } = await serveStatic(e2eMounts, E2E_PORT);
console.log(`e2e server on ${url}`);
