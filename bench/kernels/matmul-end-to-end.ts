// Times Ruminate's f32 matmul the way the peers are timed on the page: upload the
// activations, compute, read the product back; weights stay resident. Median of `reps`.
import { type KernelConfig, type KernelContext, MatmulOp } from '@ruminate/gpu';

/** Median wall ms of upload + matmul + readback for f32 weights [n, k] and m rows. */
export async function timeMatmulEndToEnd(
  ctx: KernelContext,
  shape: { m: number; k: number; n: number },
  config: KernelConfig,
  reps = 5,
): Promise<number> {
  const { m, k, n } = shape;
  const { device } = ctx;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const w = device.createBuffer({ size: n * k * 4, usage });
  const x = device.createBuffer({ size: m * k * 4, usage });
  const y = device.createBuffer({ size: m * n * 4, usage });
  const staging = device.createBuffer({
    size: m * n * 4,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
  });
  const weights = new Float32Array(n * k).map((_, i) => ((i * 13) % 17) / 17 - 0.5);
  device.queue.writeBuffer(w, 0, weights);
  const activations = new Float32Array(m * k).map((_, i) => ((i * 7) % 11) / 11 - 0.5);
  const op = await MatmulOp.prepare(ctx);
  await op.prepareShape({ dtype: 'f32', rows: n, cols: k, m }, config);
  const times: number[] = [];
  try {
    for (let i = 0; i <= reps; i++) {
      const start = performance.now();
      device.queue.writeBuffer(x, 0, activations);
      const e = device.createCommandEncoder();
      op.encode(e, {
        x: { buffer: x, offset: 0, size: m * k * 4 },
        w: { buffer: w, offset: 0, size: n * k * 4, dtype: 'f32', rows: n, cols: k },
        y: { buffer: y, offset: 0, size: m * n * 4 },
        m,
        config,
      });
      e.copyBufferToBuffer(y, 0, staging, 0, m * n * 4);
      device.queue.submit([e.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      staging.getMappedRange();
      staging.unmap();
      if (i > 0) times.push(performance.now() - start);
    }
  } finally {
    op.destroy();
    for (const b of [w, x, y, staging]) b.destroy();
  }
  return [...times].sort((a, b) => a - b)[times.length >> 1] as number;
}
