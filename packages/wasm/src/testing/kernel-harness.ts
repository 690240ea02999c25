// Runs generated kernels in tests without a thread pool: one instance over a plain memory,
// each call made once per simulated thread (t = 0…T−1, one after another), so a test checks
// that the shares of every thread count together cover the work exactly once.
import type { ModuleBuilder } from '../encoder/index.ts';

/** A module instantiated over its own memory, with helpers to place data and call kernels. */
export class KernelHarness {
  /** The memory the kernels read and write. */
  readonly memory: WebAssembly.Memory;
  private readonly exports: Record<string, (...args: number[]) => unknown>;
  private top = 1024; // the first KiB stays unused so that a null offset is never valid data

  private constructor(memory: WebAssembly.Memory, instance: WebAssembly.Instance) {
    this.memory = memory;
    this.exports = instance.exports as Record<string, (...args: number[]) => unknown>;
  }

  /** Instantiates `mod` (which must import `env.memory`) over a new memory of `pages` 64 KiB pages. */
  static async create(mod: ModuleBuilder, pages: number): Promise<KernelHarness> {
    const memory = new WebAssembly.Memory({ initial: pages });
    const { instance } = await WebAssembly.instantiate(mod.encode(), { env: { memory } });
    return new KernelHarness(memory, instance);
  }

  /** Reserves `bytes` (aligned to 64) and fills them with `poison` bytes; returns the offset. */
  alloc(bytes: number, poison = 0xff): number {
    const at = this.top;
    this.top = Math.ceil((at + bytes) / 64) * 64;
    if (this.top > this.memory.buffer.byteLength) throw new RangeError('KernelHarness: out of memory');
    new Uint8Array(this.memory.buffer, at, bytes).fill(poison);
    return at;
  }

  /** Copies `data` into new memory; returns its offset. */
  put(data: ArrayBufferView): number {
    const at = this.alloc(data.byteLength, 0);
    new Uint8Array(this.memory.buffer, at, data.byteLength).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    return at;
  }

  /** A Float32Array view of `count` floats at `offset`. */
  f32(offset: number, count: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, count);
  }

  /** Calls kernel `name` with `args`, once per thread t of `threads` (sequentially). */
  run(name: string, args: readonly number[], threads = 1): void {
    const fn = this.exports[name];
    if (!fn) throw new RangeError(`KernelHarness: no export ${name}`);
    for (let t = 0; t < threads; t++) fn(...args, t, threads);
  }
}
