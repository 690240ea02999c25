// Small uniform buffers keyed by their contents. An op writes a uniform once per distinct
// parameter set and reuses it, so one op instance can be encoded many times (every layer of a
// decoder step) before a single submit without a later write clobbering an earlier dispatch's
// parameters — which a single rewritten uniform buffer would do, since `queue.writeBuffer`
// takes effect before the whole submit.

/** Words in one uniform block (u32/f32 fields, padded to 16 bytes). */
export type UniformWords = readonly number[];

/** Content-keyed pool of uniform buffers owned by one op. */
export class UniformCache {
  private readonly buffers = new Map<string, GPUBuffer>();

  /**
   * @param device device the buffers live on
   * @param label buffer label (the op's name)
   * @param capacity distinct parameter sets kept; the oldest is dropped (not destroyed, since a
   *   recorded but unsubmitted command may still use it) when more are needed
   */
  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
    private readonly capacity = 512,
  ) {}

  /**
   * The uniform buffer holding `u32` words then `f32` words (in that order, each 4 bytes),
   * created and written on first use of this exact content.
   */
  get(u32: UniformWords, f32: UniformWords = []): GPUBuffer {
    const key = `${u32.join(',')}|${f32.join(',')}`;
    const hit = this.buffers.get(key);
    if (hit) {
      this.buffers.delete(key);
      this.buffers.set(key, hit);
      return hit;
    }
    const words = Math.max(4, Math.ceil((u32.length + f32.length) / 4) * 4);
    const data = new ArrayBuffer(words * 4);
    new Uint32Array(data).set(u32.map((v) => v >>> 0));
    new Float32Array(data, u32.length * 4, f32.length).set(f32);
    const buffer = this.device.createBuffer({
      label: this.label,
      size: data.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.device.queue.writeBuffer(buffer, 0, data);
    this.buffers.set(key, buffer);
    if (this.buffers.size > this.capacity) {
      const oldest = this.buffers.keys().next().value;
      if (oldest !== undefined) this.buffers.delete(oldest);
    }
    return buffer;
  }

  /** Destroys every buffer (call once the op is no longer used and its commands have run). */
  destroy(): void {
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
  }
}
