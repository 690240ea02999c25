// readDeviceInfo: WebGPU's absence is not a dead end; it reports the CPU backend and what `auto` picks.
import { afterEach, expect, it, vi } from 'vitest';
import { readDeviceInfo } from '../src/device-info.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

function adapter(info: Partial<GPUAdapterInfo>) {
  return { info, features: new Set(['shader-f16']) };
}

it('without WebGPU: the CPU backend, its features, and auto picks wasm', async () => {
  vi.stubGlobal('navigator', { hardwareConcurrency: 4 });
  const d = await readDeviceInfo();
  expect(d.webgpu).toBe(false);
  expect(d.problem).toMatch(/no WebGPU/);
  expect(d.problem).toMatch(/CPU with WebAssembly/);
  expect(d.problem).not.toMatch(/needs/);
  expect(d.wasm.available).toBe(true);
  expect(d.wasm.simd128).toBe(true);
  expect(d.wasm.hardwareConcurrency).toBe(4);
  expect(typeof d.wasm.relaxedSimd).toBe('boolean');
  expect(d.autoBackend).toBe('wasm');
});

it('a page that is not cross-origin isolated: one thread, and the headers that would give more', async () => {
  vi.stubGlobal('navigator', { hardwareConcurrency: 8 });
  vi.stubGlobal('document', {});
  vi.stubGlobal('crossOriginIsolated', false);
  const d = await readDeviceInfo();
  expect(d.wasm.crossOriginIsolated).toBe(false);
  expect(d.wasm.defaultThreads).toBe(1);
  expect(d.wasm.singleThreadReason).toMatch(/Cross-Origin-Opener-Policy: same-origin/);
  expect(d.wasm.singleThreadReason).toMatch(/Cross-Origin-Embedder-Policy/);
});

it('an isolated page runs on every core', async () => {
  vi.stubGlobal('navigator', { hardwareConcurrency: 8 });
  vi.stubGlobal('document', {});
  vi.stubGlobal('crossOriginIsolated', true);
  const d = await readDeviceInfo();
  expect(d.wasm.threads).toBe(true);
  expect(d.wasm.defaultThreads).toBe(8);
  expect(d.wasm.singleThreadReason).toBeNull();
});

it('a CPU adapter (SwiftShader): WebGPU is there, but auto picks wasm', async () => {
  vi.stubGlobal('navigator', {
    hardwareConcurrency: 2,
    gpu: { requestAdapter: async () => adapter({ vendor: 'google', architecture: 'swiftshader' }) },
  });
  const d = await readDeviceInfo();
  expect(d.webgpu).toBe(true);
  expect(d.cpuAdapter).toBe(true);
  expect(d.features).toEqual(['shader-f16']);
  expect(d.autoBackend).toBe('wasm');
});

it('a real GPU: auto picks WebGPU', async () => {
  vi.stubGlobal('navigator', {
    gpu: { requestAdapter: async () => adapter({ vendor: 'nvidia', architecture: 'ampere' }) },
  });
  const d = await readDeviceInfo();
  expect(d.cpuAdapter).toBe(false);
  expect(d.autoBackend).toBe('webgpu');
  expect(d.problem).toBeNull();
});

it('no adapter, or a failing requestAdapter: reported, never thrown', async () => {
  vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => null } });
  expect((await readDeviceInfo()).problem).toMatch(/no adapter/);
  vi.stubGlobal('navigator', {
    gpu: {
      requestAdapter: async () => {
        throw new Error('boom');
      },
    },
  });
  const d = await readDeviceInfo();
  expect(d.problem).toMatch(/boom/);
  expect(d.autoBackend).toBe('wasm');
});
