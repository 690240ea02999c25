import { describe, expect, it } from 'vitest';
import { PipelineCache } from '../src/jit/pipeline-cache.ts';
import {
  freshSeed,
  poisonedBuffer,
  randomF32,
  readF32,
  seededRandom,
  testDevice,
  uploadBuffer,
} from '../src/testing/index.ts';

const SCALE = `
override SCALE: f32 = 1.0;
override WG: u32 = 64;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(WG) fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&x)) {
#if NEGATE
    y[id.x] = -x[id.x] * SCALE;
#else
    y[id.x] = x[id.x] * SCALE;
#endif
  }
}`;

describe('PipelineCache on SwiftShader', () => {
  it('specialises by override constants and defines, caches by key, and reports compile time', async () => {
    const { device } = await testDevice();
    const cache = new PipelineCache(device);
    const seed = freshSeed();
    const n = 1000; // not a multiple of any workgroup size tried
    const x = randomF32(n, seededRandom(seed));
    const xb = uploadBuffer(device, x);
    for (const [wg, scale, negate] of [
      [64, 2, false],
      [32, 3, true],
    ] as const) {
      const spec = {
        name: 'test/scale',
        source: SCALE,
        constants: { WG: wg, SCALE: scale },
        defines: { NEGATE: negate },
      };
      const first = await cache.get(spec);
      expect(first.compileMs).toBeGreaterThan(0);
      expect((await cache.get(spec)).compileMs).toBe(0);
      const yb = poisonedBuffer(device, n * 4);
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(first.pipeline);
      pass.setBindGroup(
        0,
        device.createBindGroup({
          layout: first.pipeline.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: xb } },
            { binding: 1, resource: { buffer: yb } },
          ],
        }),
      );
      pass.dispatchWorkgroups(Math.ceil(n / wg));
      pass.end();
      device.queue.submit([enc.finish()]);
      const y = await readF32(device, yb, 0, n);
      for (let i = 0; i < n; i++)
        expect(y[i]).toBe(Math.fround((negate ? -1 : 1) * (x[i] as number) * scale));
    }
    expect(cache.size).toBe(2);
  });

  it('turns WGSL compile errors into a typed error naming the kernel and line', async () => {
    const { device } = await testDevice();
    const cache = new PipelineCache(device);
    await expect(cache.get({ name: 'test/broken', source: 'fn main( {' })).rejects.toMatchObject({
      code: 'shader-compile',
    });
  });
});
