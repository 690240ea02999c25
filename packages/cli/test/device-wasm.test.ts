// `ruminate device` reports the WebAssembly CPU backend beside WebGPU, and still reports it when
// WebGPU is missing (the WebGPU part then says why). The device measurements are mocked here;
// measureCpuProfile itself runs once on a small buffer. No wall-clock thresholds: only that the
// numbers are positive and finite.
import { type CpuProfile, detectWasmFeatures, measureCpuProfile } from '@ruminate/wasm';
import { afterEach, describe, expect, it, vi } from 'vitest';

const fakeCpu: CpuProfile = {
  features: {
    simd128: true,
    relaxedSimd: false,
    relaxedSimdValidates: true,
    threads: true,
    sharedMemory: true,
    crossOriginIsolated: true,
  },
  cores: 2,
  threads: 2,
  threadingReason: '2 threads over shared memory',
  memorySweepGBps: 20.5,
  sweepBytes: 32 * 2 ** 20,
  q4_0GemvGflops: 30.25,
  q4_0GemvWeightGBps: 9.5,
  q4_0GemvRelaxed: false,
  measureMs: 300,
  measuredAt: '2026-12-07T00:00:00.000Z',
};

vi.mock('@ruminate/gpu', () => ({
  measureDeviceProfile: vi.fn(async () => {
    // what requestDevice throws: a RuminateError, whose code the reason names
    throw Object.assign(new Error('no navigator.gpu here'), { code: 'webgpu-unavailable' });
  }),
}));
vi.mock('@ruminate/wasm', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@ruminate/wasm')>()),
  measureCpuProfile: vi.fn(async () => fakeCpu),
}));

async function runDevice(...argv: string[]): Promise<{ code: number; stdout: string }> {
  const { deviceCommand } = await import('../src/commands/device.ts');
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = await deviceCommand.run(argv);
  vi.restoreAllMocks();
  return { code, stdout };
}

afterEach(() => vi.restoreAllMocks());

describe('ruminate device without WebGPU', () => {
  it('--json: webgpu unavailable with the reason, and the wasm object', async () => {
    const { code, stdout } = await runDevice('--json');
    expect(code).toBe(0);
    const p = JSON.parse(stdout);
    expect(p.webgpu).toEqual({ available: false, reason: 'webgpu-unavailable: no navigator.gpu here' });
    expect(p.adapter).toBeUndefined();
    expect(p.wasm.features).toEqual(fakeCpu.features);
    expect(p.wasm).toMatchObject({ cores: 2, threads: 2, memorySweepGBps: 20.5, q4_0GemvGflops: 30.25 });
  });

  it('table: the WebGPU part says unavailable and why; the CPU backend part follows', async () => {
    const { code, stdout } = await runDevice();
    expect(code).toBe(0);
    expect(stdout).toContain('unavailable: webgpu-unavailable: no navigator.gpu here');
    expect(stdout).toContain('CPU backend (WebAssembly)');
    expect(stdout).toMatch(/wasm relaxed SIMD\s+no \(validates, but the dot-add computes wrong here\)/);
    expect(stdout).toMatch(/wasm memory sweep\s+20\.50 GB\/s/);
    expect(stdout).toMatch(/wasm q4_0 GEMV 2048²\s+30\.25 GFLOP\/s/);
  });
});

describe('measureCpuProfile', () => {
  it('reports the probed features and positive, finite measured numbers', async () => {
    const { measureCpuProfile: real } =
      await vi.importActual<typeof import('@ruminate/wasm')>('@ruminate/wasm');
    expect(real).not.toBe(measureCpuProfile);
    const p = await real({ sweepBytes: 2 ** 20, minRoundMs: 1 });
    expect(p.features).toEqual(detectWasmFeatures());
    expect(p.cores).toBeGreaterThanOrEqual(1);
    expect(p.sweepBytes).toBe(2 ** 20);
    for (const k of ['memorySweepGBps', 'q4_0GemvGflops', 'q4_0GemvWeightGBps'] as const) {
      expect(Number.isFinite(p[k]) && p[k] > 0, k).toBe(true);
    }
  });
});
