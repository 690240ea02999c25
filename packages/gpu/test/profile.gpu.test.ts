import { describe, expect, it } from 'vitest';
import { measureDeviceProfile } from '../src/device/profile.ts';
import { requestDevice } from '../src/device/request-device.ts';
import { RuminateError } from '../src/errors.ts';
import { testDevice } from '../src/testing/index.ts';

describe('DeviceProfile on SwiftShader (Node)', () => {
  it('names the adapter and measures positive, finite numbers', async () => {
    const p = await measureDeviceProfile(await testDevice(), { copyBytes: 64 * 2 ** 20 });
    expect(p.context).toBe('node');
    expect(p.adapter.architecture).toBe('swiftshader');
    expect(p.implementation).toMatch(/Dawn for Node \(webgpu \d/);
    expect(p.features).toContain('timestamp-query');
    expect(p.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
    for (const v of [p.bandwidthGBps, p.matmulGflops, p.dispatchUs, p.readbackMs]) {
      expect(Number.isFinite(v) && v > 0).toBe(true);
    }
  });

  it('gives a typed error naming a limit the adapter lacks', async () => {
    const err = await requestDevice({ requiredLimits: { maxStorageBufferBindingSize: 2 ** 52 } }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(RuminateError);
    expect(err.code).toBe('limit-too-low');
    expect(err.message).toMatch(/maxStorageBufferBindingSize/);
  });

  it('caps limits when asked (phones bind at most 128 MiB)', async () => {
    const { device, limits } = await requestDevice({
      capLimits: { maxStorageBufferBindingSize: 128 * 2 ** 20 },
    });
    expect(limits.maxStorageBufferBindingSize).toBe(128 * 2 ** 20);
    expect(device.limits.maxStorageBufferBindingSize).toBe(128 * 2 ** 20);
    device.destroy();
  });
});
