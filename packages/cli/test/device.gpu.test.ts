import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('ruminate device --json', () => {
  it('prints one JSON object with positive, finite measured numbers', () => {
    const stdout = execFileSync('pnpm', ['run', '--reporter=silent', 'ruminate', 'device', '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = JSON.parse(stdout);
    expect(Object.keys(p)).toEqual(expect.arrayContaining(['adapter', 'features', 'limits']));
    expect(Object.keys(p.adapter)).toEqual(['vendor', 'architecture', 'description']);
    expect(Array.isArray(p.features)).toBe(true);
    for (const k of ['bandwidthGBps', 'matmulGflops', 'dispatchUs', 'readbackMs']) {
      expect(Number.isFinite(p[k]) && p[k] > 0, k).toBe(true);
    }
  });
});
