// Bundles the GPU pack's four programs with esbuild, each into one ES module for Node 20:
//   ruminate.mjs      the CLI (packages/cli/src/main.ts); the browser benchmarks' page opener
//                     is replaced by a stub (no Chromium in the pack);
//   kernel-tests.mjs  every packages/gpu/test/*.gpu.test.ts with the vitest shim and runner;
//   gpu-fixtures.mjs  the fixture writer (tools/gpu-pack/gpu-fixtures.ts);
//   gpu-report.mjs    the Markdown report of a run's results (tools/gpu-pack/gpu-report.ts).
// `webgpu` stays a runtime import (node-gpu.ts imports it by a computed specifier), resolved
// from the pack's own node_modules/webgpu. Prints { files: { name: bytes } } as JSON.
//
//   pnpm exec tsx tools/gpu-pack/bundle.ts OUT_DIR

import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { RuminateError } from '../../packages/errors/src/index.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

/** Replaces bench/support/browser.ts (Playwright, Vite) with tools/gpu-pack/no-browser.ts. */
const noBrowser: Plugin = {
  name: 'no-browser',
  setup(b) {
    b.onResolve({ filter: /support\/browser(\.ts)?$/ }, () => ({ path: join(HERE, 'no-browser.ts') }));
  },
};

/** Base names of the WebGPU kernel test files, as KERNEL_TEST_FILES. */
export function kernelTestFiles(): string[] {
  return readdirSync(join(ROOT, 'packages/gpu/test'))
    .filter((f) => f.endsWith('.gpu.test.ts'))
    .map((f) => f.slice(0, -'.gpu.test.ts'.length))
    .sort();
}

/** Bundles the four programs into `outDir`; resolves to each file's size in bytes. */
export async function bundlePack(outDir: string): Promise<Record<string, number>> {
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    legalComments: 'none',
    absWorkingDir: ROOT,
  } as const;
  const entries = [
    { out: 'ruminate.mjs', entry: 'packages/cli/src/main.ts' },
    { out: 'kernel-tests.mjs', entry: 'tools/gpu-pack/kernel-tests.ts' },
    { out: 'gpu-fixtures.mjs', entry: 'tools/gpu-pack/gpu-fixtures.ts' },
    { out: 'gpu-report.mjs', entry: 'tools/gpu-pack/gpu-report.ts' },
  ];
  const sizes: Record<string, number> = {};
  for (const { out, entry } of entries) {
    const outfile = join(outDir, out);
    await build({
      ...common,
      entryPoints: [entry],
      outfile,
      plugins: [noBrowser],
      alias: { vitest: './tools/gpu-pack/vitest-shim.ts' },
      define: { KERNEL_TEST_FILES: JSON.stringify(kernelTestFiles()) },
    });
    sizes[out] = statSync(outfile).size;
  }
  return sizes;
}

const outDir = process.argv[2];
if (!outDir) throw new RuminateError('invalid-argument', 'usage: bundle.ts OUT_DIR');
const files = await bundlePack(resolve(outDir));
process.stdout.write(`${JSON.stringify({ files })}\n`);
