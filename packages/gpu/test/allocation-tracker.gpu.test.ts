import { describe, expect, it } from 'vitest';
import { trackAllocations } from '../src/device/allocation-tracker.ts';
import { testDevice } from '../src/testing/index.ts';

describe('allocation tracker', () => {
  it('counts live and peak bytes of buffers created after it starts, until they are destroyed', async () => {
    const { device } = await testDevice();
    const before = device.createBuffer({ size: 1024, usage: GPUBufferUsage.STORAGE });
    const t = trackAllocations(device);
    const a = device.createBuffer({ size: 4096, usage: GPUBufferUsage.STORAGE });
    const b = device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM });
    expect([t.liveBytes(), t.liveBuffers()]).toEqual([4352, 2]);
    a.destroy();
    a.destroy(); // twice is harmless and counted once
    before.destroy(); // created before tracking: not counted
    expect([t.liveBytes(), t.peakBytes(), t.liveBuffers()]).toEqual([256, 4352, 1]);
    t.dispose();
    device.createBuffer({ size: 512, usage: GPUBufferUsage.STORAGE }).destroy();
    expect(t.liveBytes()).toBe(256);
    b.destroy();
  });
});
