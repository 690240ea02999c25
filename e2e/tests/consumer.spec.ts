// Packaging: build @ruminate/react and @ruminate/script, `pnpm pack` them with the packages they
// depend on, install the tarballs into a fresh app outside the workspace (offline, from the pnpm
// store), type-check it against the packed declarations, build it with Vite and run it.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { build } from 'vite';
import { repoRoot } from '../support/mounts.ts';
import { screenshot } from '../support/screenshot.ts';

test.describe.configure({ timeout: 300_000 });
const work = join(repoRoot, '.cache/consumer');
const packs = join(work, 'packs');
const app = join(work, 'app');
// Every package a packed one depends on (errors under gpu, runtime and controller; wasm under runtime).
const PACKAGES = ['errors', 'gpu', 'wasm', 'runtime', 'controller', 'react', 'script'];

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, stdio: 'pipe', encoding: 'utf8', env: { ...process.env, CI: '1' } });

test.beforeAll(() => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(packs, { recursive: true });
  for (const p of ['react', 'script'])
    run('pnpm', ['exec', 'tsx', 'scripts/build.ts'], join(repoRoot, 'packages', p));
  const tarballs: Record<string, string> = {};
  for (const p of PACKAGES) {
    run('pnpm', ['pack', '--pack-destination', packs], join(repoRoot, 'packages', p));
    const file = readdirSync(packs).find((f) => f.startsWith(`ruminate-${p}-`));
    if (!file) throw new Error(`no tarball for ${p}`);
    tarballs[`@ruminate/${p}`] = `file:../packs/${file}`;
  }
  cpSync(join(repoRoot, 'e2e/consumer'), app, { recursive: true });
  const main = join(app, 'src/main.tsx');
  writeFileSync(main, readFileSync(main, 'utf8').replace(/^\/\/ @ts-nocheck.*\n/, ''));
  const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
  for (const [name, spec] of Object.entries(tarballs)) pkg.dependencies[name] = spec;
  writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
  // The app is its own workspace root; the overrides send the packages' own @ruminate/*
  // dependencies to the tarballs too, and pin their other dependencies to the versions the
  // workspace installed: the install is offline, so a release newer than the workspace's lockfile
  // (a range like ^0.5.11 would pick it) is not in the store.
  const pinned = new Map<string, string>();
  for (const p of PACKAGES) {
    const dir = join(repoRoot, 'packages', p);
    const deps = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies ?? {};
    for (const dep of Object.keys(deps).filter((d) => !d.startsWith('@ruminate/'))) {
      const installed = JSON.parse(readFileSync(join(dir, 'node_modules', dep, 'package.json'), 'utf8'));
      pinned.set(dep, installed.version);
    }
  }
  const overrides = [...Object.entries(tarballs), ...pinned].map(([n, s]) => `  '${n}': '${s}'`);
  writeFileSync(join(app, 'pnpm-workspace.yaml'), `overrides:\n${overrides.join('\n')}\n`);
  run('pnpm', ['install', '--offline'], app);
});

test('the packed packages install, type-check and build in a fresh Vite app, and run', async ({ page }) => {
  // Types: the app compiles against the packed declarations alone.
  run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
  await build({
    configFile: false,
    root: app,
    base: '/consumer/',
    logLevel: 'error',
    build: { outDir: join(app, 'dist'), emptyOutDir: true, target: 'es2022' },
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('**/consumer/**', (route) => {
    const path = new URL(route.request().url()).pathname.replace(/^\/consumer\//, '') || 'index.html';
    return route.fulfill({ path: join(app, 'dist', path) });
  });
  await page.goto('/consumer/index.html');
  await expect(page.locator('#react-answer')).toHaveText(/^ready: The answer is [45] \(5 candidates\)$/, {
    timeout: 30_000,
  });
  const chat = page.locator('#chat');
  await expect(chat.getByRole('status')).toContainText('Ready');
  await chat.getByLabel('Your message').fill('Q');
  await chat.getByLabel('Your message').press('Enter');
  await expect(chat.getByRole('status')).toContainText('Done: 3 candidates', { timeout: 30_000 });
  await expect(chat.locator('li.assistant .answer')).toHaveText(/^The answer is [45]$/);
  expect(errors).toEqual([]);
  await screenshot(page, 'consumer-app');
});
