// Counts the GPU memory a device's buffers hold, whoever created them (the runtime's weights
// and KV, the ops' uniforms and scratch, the sampler): every createBuffer is recorded until its
// buffer is destroyed. The benchmarks use it to compare what Ruminate allocates with what the
// model needs (weights + KV).

/** Live and peak bytes of the buffers created on a device since tracking began. */
export interface AllocationTracker {
  /** Bytes of buffers created and not yet destroyed. */
  liveBytes(): number;
  /** The most `liveBytes` has been. */
  peakBytes(): number;
  /** Buffers created and not yet destroyed. */
  liveBuffers(): number;
  /** Stops tracking (buffers created later are not counted). */
  dispose(): void;
}

/** Starts counting the buffers `device` creates from now on. */
export function trackAllocations(device: GPUDevice): AllocationTracker {
  const live = new Map<GPUBuffer, number>();
  let bytes = 0;
  let peak = 0;
  const create = device.createBuffer;
  let tracking = true;
  device.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor): GPUBuffer {
    const buffer = create.call(this, descriptor);
    if (!tracking) return buffer;
    live.set(buffer, buffer.size);
    bytes += buffer.size;
    peak = Math.max(peak, bytes);
    const destroy = buffer.destroy;
    buffer.destroy = function (this: GPUBuffer): undefined {
      const size = live.get(buffer);
      if (size !== undefined) {
        live.delete(buffer);
        bytes -= size;
      }
      return destroy.call(this);
    };
    return buffer;
  };
  return {
    liveBytes: () => bytes,
    peakBytes: () => peak,
    liveBuffers: () => live.size,
    dispose: () => {
      tracking = false;
      device.createBuffer = create;
    },
  };
}
