import { median } from '../device/measure/timing.ts';

/** Measures GPU time of recorded work. */
export interface GpuTimer {
  /** `timestamp-query` (GPU clock) or `wall` (submit → onSubmittedWorkDone). */
  readonly kind: 'timestamp' | 'wall';
  /** Median milliseconds of one run of `record` over `reps` runs (after one warm-up). */
  time(record: (encoder: GPUCommandEncoder) => void, reps: number): Promise<number>;
  /** Frees the timer's query set and buffers. */
  dispose(): void;
}

/**
 * Times with timestamp queries when the device has them: an empty pass writes a
 * timestamp at its end, the op records its own passes, and a second empty pass writes
 * one at its beginning — so any op can be timed without touching its passes.
 */
class TimestampTimer implements GpuTimer {
  readonly kind = 'timestamp';
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private readonly readback: GPUBuffer;

  constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
    this.resolve = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    this.readback = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
  }

  async time(record: (encoder: GPUCommandEncoder) => void, reps: number): Promise<number> {
    const samples: number[] = [];
    for (let i = 0; i <= reps; i++) {
      const e = this.device.createCommandEncoder();
      e.beginComputePass({ timestampWrites: { querySet: this.querySet, endOfPassWriteIndex: 0 } }).end();
      record(e);
      e.beginComputePass({
        timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 1 },
      }).end();
      e.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
      e.copyBufferToBuffer(this.resolve, 0, this.readback, 0, 16);
      this.device.queue.submit([e.finish()]);
      await this.readback.mapAsync(GPUMapMode.READ);
      const [t0, t1] = new BigUint64Array(this.readback.getMappedRange());
      const ns = Number((t1 ?? 0n) - (t0 ?? 0n));
      this.readback.unmap();
      if (i > 0) samples.push(ns / 1e6);
    }
    return median(samples);
  }

  dispose(): void {
    this.querySet.destroy();
    this.resolve.destroy();
    this.readback.destroy();
  }
}

/** Wall-clock fallback: submit, then wait for onSubmittedWorkDone. */
class WallTimer implements GpuTimer {
  readonly kind = 'wall';
  constructor(private readonly device: GPUDevice) {}

  async time(record: (encoder: GPUCommandEncoder) => void, reps: number): Promise<number> {
    const samples: number[] = [];
    for (let i = 0; i <= reps; i++) {
      const e = this.device.createCommandEncoder();
      record(e);
      const commands = e.finish();
      const start = performance.now();
      this.device.queue.submit([commands]);
      await this.device.queue.onSubmittedWorkDone();
      if (i > 0) samples.push(performance.now() - start);
    }
    return median(samples);
  }

  dispose(): void {}
}

/** The best timer the device offers (timestamp queries, else wall clock). */
export function createGpuTimer(device: GPUDevice, prefer: 'timestamp' | 'wall' = 'timestamp'): GpuTimer {
  if (prefer === 'timestamp' && device.features.has('timestamp-query')) {
    try {
      return new TimestampTimer(device);
    } catch {
      // Some browsers list the feature but refuse query sets without a flag: fall back.
    }
  }
  return new WallTimer(device);
}
