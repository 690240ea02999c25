// The CLI's own help paths, run as a user runs them (a child process through tsx).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const main = join(import.meta.dirname, '..', 'src', 'main.ts');
const run = (...args: string[]) => spawnSync('pnpm', ['exec', 'tsx', main, ...args], { encoding: 'utf8' });

describe('ruminate CLI help', () => {
  it('prints a command’s usage for --help and exits 0', () => {
    const r = run('tune', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ruminate tune --model PATH');
  });

  it('names an unknown option, prints the usage and exits 2', () => {
    const r = run('test-kernels', '--bogus');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
    expect(r.stderr).toContain('ruminate test-kernels [--backend webgpu|wasm] [--all]');
  });
});
