import { median, timeSubmit } from './timing.ts';

/** Options for the copy-bandwidth probe. */
export interface BandwidthOptions {
  /** Bytes copied per run (≥ 64 MiB for the DeviceProfile; capped by maxBufferSize). */
  bytes?: number;
  /** Timed runs after one warm-up (median is reported). */
  runs?: number;
}

/**
 * Copy bandwidth in GB/s: bytes read plus bytes written by one `copyBufferToBuffer`
 * of `bytes`, median over `runs` after a warm-up.
 */
export async function measureCopyBandwidth(
  device: GPUDevice,
  options: BandwidthOptions = {},
): Promise<number> {
  const bytes = Math.min(options.bytes ?? 64 * 1024 * 1024, device.limits.maxBufferSize);
  const runs = Math.max(5, options.runs ?? 5);
  const src = device.createBuffer({ size: bytes, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const dst = device.createBuffer({ size: bytes, usage: GPUBufferUsage.COPY_DST });
  try {
    const copy = (e: GPUCommandEncoder) => e.copyBufferToBuffer(src, 0, dst, 0, bytes);
    await timeSubmit(device, copy);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await timeSubmit(device, copy));
    return (2 * bytes) / (median(times) * 1e-3) / 1e9;
  } finally {
    src.destroy();
    dst.destroy();
  }
}
