import { median, timeSubmit } from './timing.ts';

// A plain shared-memory tiled f32 matmul (C = A·B, all n×n, row-major): the yardstick
// for "what this device does on ordinary f32 compute", not Ruminate's tuned kernels.
const TILE = 16;
const TILED_MATMUL = /* wgsl */ `
override N: u32;
const T: u32 = ${TILE}u;
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
var<workgroup> ta: array<array<f32, T>, T>;
var<workgroup> tb: array<array<f32, T>, T>;
@compute @workgroup_size(T, T)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let row = g.y;
  let col = g.x;
  var acc = 0.0;
  for (var t = 0u; t < (N + T - 1u) / T; t++) {
    let ac = t * T + l.x;
    let br = t * T + l.y;
    ta[l.y][l.x] = select(0.0, a[row * N + ac], row < N && ac < N);
    tb[l.y][l.x] = select(0.0, b[br * N + col], br < N && col < N);
    workgroupBarrier();
    for (var k = 0u; k < T; k++) { acc += ta[l.y][k] * tb[k][l.x]; }
    workgroupBarrier();
  }
  if (row < N && col < N) { c[row * N + col] = acc; }
}`;

/** Result of the matmul-rate probe. */
export interface MatmulRate {
  /** GFLOP/s (2·n³ flops per run, median time). */
  gflops: number;
  /** Max |GPU − CPU| over a few checked entries of C (a smoke test of the adapter). */
  maxError: number;
}

/** f32 matmul rate of a plain 16×16-tiled kernel at n³ (512³ for the DeviceProfile). */
export async function measureMatmulRate(device: GPUDevice, n = 512, runs = 3): Promise<MatmulRate> {
  const bytes = n * n * 4;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const a = new Float32Array(n * n);
  const b = new Float32Array(n * n);
  for (let i = 0; i < n * n; i++) {
    a[i] = ((i * 7) % 13) / 13 - 0.5;
    b[i] = ((i * 5) % 11) / 11 - 0.5;
  }
  const [ab, bb, cb] = [0, 1, 2].map(() => device.createBuffer({ size: bytes, usage })) as [
    GPUBuffer,
    GPUBuffer,
    GPUBuffer,
  ];
  device.queue.writeBuffer(ab, 0, a);
  device.queue.writeBuffer(bb, 0, b);
  const module = device.createShaderModule({ code: TILED_MATMUL, label: 'profile/matmul' });
  const pipeline = await device.createComputePipelineAsync({
    layout: 'auto',
    compute: { module, entryPoint: 'main', constants: { N: n } },
  });
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [ab, bb, cb].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const record = (e: GPUCommandEncoder) => {
    const pass = e.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.ceil(n / TILE), Math.ceil(n / TILE));
    pass.end();
  };
  try {
    await timeSubmit(device, record);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await timeSubmit(device, record));
    const gflops = (2 * n ** 3) / (median(times) * 1e-3) / 1e9;
    const maxError = await checkEntries(device, cb, a, b, n);
    return { gflops, maxError };
  } finally {
    for (const buf of [ab, bb, cb]) buf.destroy();
  }
}

/** Compares a few entries of C with a float64 dot product. */
async function checkEntries(device: GPUDevice, c: GPUBuffer, a: Float32Array, b: Float32Array, n: number) {
  const staging = device.createBuffer({
    size: n * 4,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
  });
  const row = n - 3;
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(c, row * n * 4, staging, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const got = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  let maxError = 0;
  for (const col of [0, 1, n >> 1, n - 1]) {
    let want = 0;
    for (let k = 0; k < n; k++) want += (a[row * n + k] as number) * (b[k * n + col] as number);
    maxError = Math.max(maxError, Math.abs((got[col] as number) - want));
  }
  return maxError;
}
