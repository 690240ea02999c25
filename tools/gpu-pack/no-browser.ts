// Stands in for bench/support/browser.ts in the GPU pack, which carries no Chromium, Vite or
// Playwright: a suite that needs a page fails with this error instead of the whole CLI
// failing to load. `bench kernels --no-browser` needs none.

import { RuminateError } from '../../packages/errors/src/index.ts';

/** Fails: the pack has no browser. */
export function openBenchPage(): never {
  throw new RuminateError(
    'invalid-argument',
    'The GPU pack carries no browser: run `bench kernels` with --no-browser; `bench peers` needs the repository.',
    { field: 'no-browser' },
  );
}
