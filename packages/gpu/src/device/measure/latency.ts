import { median, timeSubmit } from './timing.ts';

const EMPTY = '@compute @workgroup_size(1) fn main() {}';
const WRITE_ONE = `@group(0) @binding(0) var<storage, read_write> o: array<u32>;
@compute @workgroup_size(1) fn main() { o[0] = 42u; }`;

/**
 * Dispatch + submit overhead in µs: median over `runs` of one empty dispatch encoded,
 * submitted and waited for (`onSubmittedWorkDone`), i.e. the fixed cost a kernel launch adds.
 */
export async function measureDispatchOverhead(device: GPUDevice, runs = 100): Promise<number> {
  const module = device.createShaderModule({ code: EMPTY, label: 'profile/empty' });
  const pipeline = await device.createComputePipelineAsync({
    layout: 'auto',
    compute: { module, entryPoint: 'main' },
  });
  const record = (e: GPUCommandEncoder) => {
    const pass = e.beginComputePass();
    pass.setPipeline(pipeline);
    pass.dispatchWorkgroups(1);
    pass.end();
  };
  await timeSubmit(device, record);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeSubmit(device, record));
  return median(times) * 1000;
}

/**
 * Readback latency in ms: a kernel writes 4 bytes, they are copied to a MAP_READ buffer and
 * mapped; median over `runs` of the time from submit until the value is readable in JS.
 */
export async function measureReadbackLatency(device: GPUDevice, runs = 20): Promise<number> {
  const module = device.createShaderModule({ code: WRITE_ONE, label: 'profile/write-one' });
  const pipeline = await device.createComputePipelineAsync({
    layout: 'auto',
    compute: { module, entryPoint: 'main' },
  });
  const out = device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const staging = device.createBuffer({ size: 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: out } }],
  });
  const times: number[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      const e = device.createCommandEncoder();
      const pass = e.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(1);
      pass.end();
      e.copyBufferToBuffer(out, 0, staging, 0, 4);
      const commands = e.finish();
      const start = performance.now();
      device.queue.submit([commands]);
      await staging.mapAsync(GPUMapMode.READ);
      const value = new Uint32Array(staging.getMappedRange())[0];
      const ms = performance.now() - start;
      staging.unmap();
      if (value !== 42) throw new Error(`readback probe read ${value}, expected 42`);
      if (i > 0) times.push(ms);
    }
    return median(times);
  } finally {
    out.destroy();
    staging.destroy();
  }
}
