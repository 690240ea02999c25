// GPU time per compute pass, whoever records the passes (the runtime's forward pass, the
// ops, the sampler): while recording, every compute pass opened on the device's command
// encoders gets begin/end timestamp writes, and `stop` reads them back summed per pass label
// (ops label their passes `family/kernel[:variant]`). Needs the `timestamp-query` feature.
// The decode benchmark uses it to show where a step's time goes.
import { RuminateError } from '../errors.ts';

/** GPU time of the passes that carried one label. */
export interface PassTime {
  /** The pass label, e.g. `matmul/gemv:q4_0`. */
  label: string;
  /** Passes recorded with this label. */
  passes: number;
  /** Their summed GPU time in ms. */
  ms: number;
}

/** Records compute-pass timestamps on one device between `start` and `stop`. */
export interface PassProfiler {
  /** Starts recording the passes opened from now on (up to the profiler's capacity). */
  start(): void;
  /** Stops recording; once the GPU has run them, the recorded passes' times by label, slowest first. */
  stop(): Promise<PassTime[]>;
  /** Stops patching the device and frees the query set. */
  dispose(): void;
}

/**
 * A pass profiler for `device` recording up to `capacity` passes (≤ 2048: a query set holds at
 * most 4096 timestamps), or undefined when the device has no `timestamp-query` feature.
 */
export function profilePasses(device: GPUDevice, capacity = 2048): PassProfiler | undefined {
  if (!(Number.isInteger(capacity) && capacity >= 1 && capacity <= 2048)) {
    throw new RuminateError('invalid-argument', `capacity must be 1..2048 passes, got ${capacity}.`, {
      field: 'capacity',
    });
  }
  if (!device.features.has('timestamp-query')) return undefined;
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * capacity });
  const createEncoder = device.createCommandEncoder;
  let labels: string[] = [];
  let recording = false;
  device.createCommandEncoder = function (this: GPUDevice, descriptor?: GPUCommandEncoderDescriptor) {
    const encoder = createEncoder.call(this, descriptor);
    const begin = encoder.beginComputePass;
    encoder.beginComputePass = function (this: GPUCommandEncoder, pass?: GPUComputePassDescriptor) {
      if (!recording || labels.length >= capacity || pass?.timestampWrites) return begin.call(this, pass);
      const i = labels.length;
      labels.push(pass?.label ?? '(unlabelled)');
      return begin.call(this, {
        ...pass,
        timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
      });
    };
    return encoder;
  };
  return {
    start: () => {
      labels = [];
      recording = true;
    },
    stop: async () => {
      recording = false;
      const n = labels.length;
      if (n === 0) return [];
      const resolve = device.createBuffer({
        size: 16 * n,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
      const read = device.createBuffer({
        size: 16 * n,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      const encoder = createEncoder.call(device);
      encoder.resolveQuerySet(querySet, 0, 2 * n, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 16 * n);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const ticks = new BigUint64Array(read.getMappedRange());
      const byLabel = new Map<string, PassTime>();
      labels.forEach((label, i) => {
        const ns = Number((ticks[2 * i + 1] ?? 0n) - (ticks[2 * i] ?? 0n));
        const t = byLabel.get(label) ?? { label, passes: 0, ms: 0 };
        t.passes++;
        t.ms += Math.max(0, ns) / 1e6;
        byLabel.set(label, t);
      });
      read.unmap();
      read.destroy();
      resolve.destroy();
      return [...byLabel.values()].sort((a, b) => b.ms - a.ms);
    },
    dispose: () => {
      recording = false;
      device.createCommandEncoder = createEncoder;
      querySet.destroy();
    },
  };
}
