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
    expect(p.webgpu).toEqual({ available: true });
    // The CPU backend beside it: probed features and two measured numbers.
    expect(Object.keys(p.wasm.features)).toEqual(
      expect.arrayContaining(['simd128', 'relaxedSimd', 'threads', 'sharedMemory']),
    );
    expect(p.wasm.features.simd128).toBe(true);
    expect(p.wasm.cores).toBeGreaterThanOrEqual(1);
    for (const k of ['memorySweepGBps', 'q4_0GemvGflops']) {
      expect(Number.isFinite(p.wasm[k]) && p.wasm[k] > 0, `wasm.${k}`).toBe(true);
    }
  });

  it('--adapter says which adapter Dawn gives without measuring: SwiftShader here, a CPU adapter', () => {
    const stdout = execFileSync(
      'pnpm',
      ['run', '--reporter=silent', 'ruminate', 'device', '--adapter', '--json'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const a = JSON.parse(stdout);
    expect(a).toMatchObject({ available: true, architecture: 'swiftshader', cpu: true });
    expect(a.features).toContain('timestamp-query');
    expect(a.bandwidthGBps).toBeUndefined();
  });
});
