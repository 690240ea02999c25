import { describe, expect, it } from 'vitest';
import { profilePasses } from '../src/device/pass-profiler.ts';
import { testDevice } from '../src/testing/index.ts';

describe('profilePasses', () => {
  it('times the compute passes opened between start and stop, summed per label, and unpatches on dispose', async () => {
    const { device } = await testDevice();
    const profiler = profilePasses(device);
    if (!profiler) {
      expect(device.features.has('timestamp-query')).toBe(false);
      return;
    }
    const module = device.createShaderModule({
      code: '@group(0) @binding(0) var<storage, read_write> y: array<f32>;\n@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) { var s = 0.0; for (var i = 0u; i < 2000u; i++) { s += sin(f32(i + g.x)); } y[g.x] = s; }',
    });
    const pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
    });
    const y = device.createBuffer({ size: 64 * 64 * 4, usage: GPUBufferUsage.STORAGE });
    const group = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: y } }],
    });
    const record = (labels: string[]) => {
      const encoder = device.createCommandEncoder();
      for (const label of labels) {
        const pass = encoder.beginComputePass({ label });
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(64);
        pass.end();
      }
      device.queue.submit([encoder.finish()]);
    };
    record(['before']); // not recorded
    profiler.start();
    record(['work/a', 'work/b', 'work/a']);
    record(['work/a']);
    const times = await profiler.stop();
    record(['after']); // not recorded
    expect(times.map((t) => [t.label, t.passes]).sort()).toEqual([
      ['work/a', 3],
      ['work/b', 1],
    ]);
    for (const t of times) expect(t.ms).toBeGreaterThan(0);
    profiler.dispose();
    expect(device.createCommandEncoder).toBe(Object.getPrototypeOf(device).createCommandEncoder);
    y.destroy();
  });
});
