// Uploads a GGUF file's tensors straight into GPU buffers, piece by piece: only one chunk of
// file bytes is held in JS memory at a time (never a second full copy of the weights).
import { RuminateError } from '@ruminate/errors';
import { type GgmlTypeName, ggmlRowBytes, type WeightMatrix } from '@ruminate/gpu';
import type { LoadProgress } from '../engine/types.ts';
import type { ByteSource, GgufTensorInfo } from '../gguf/types.ts';
import { type PlacedPart, planWeights, type WeightPlan } from './weight-placement.ts';

/** Bytes read from the source and written to the GPU per piece (a multiple of 4). */
const CHUNK_BYTES = 8 * 1024 * 1024;
/** Bytes queued for upload before waiting for the GPU to take them (bounds staging memory). */
const INFLIGHT_BYTES = 64 * 1024 * 1024;

/** One row-range of a tensor resident on the GPU. */
export interface GpuTensorPart extends WeightMatrix {
  /** First row (of `rows` in the full tensor) this part holds. */
  rowStart: number;
}

/** A tensor on the GPU: one part, or several row ranges when it exceeds a binding. */
export interface GpuTensor {
  /** GGUF name. */
  name: string;
  /** Element type as stored. */
  dtype: GgmlTypeName;
  /** ggml dims. */
  dims: readonly number[];
  /** Row ranges, in order. */
  parts: GpuTensorPart[];
}

/** Every weight of a model on the GPU. */
export class GpuWeights {
  /** Bytes of all weight buffers. */
  readonly bytes: number;

  private constructor(
    private readonly buffers: GPUBuffer[],
    private readonly tensors: Map<string, GpuTensor>,
  ) {
    this.bytes = buffers.reduce((s, b) => s + b.size, 0);
  }

  /** Places and uploads every tensor of `infos`, reading their bytes from `source`. */
  static async upload(
    device: GPUDevice,
    limits: Readonly<Record<string, number>>,
    infos: readonly GgufTensorInfo[],
    source: ByteSource,
    opts: { onProgress?: (p: LoadProgress) => void; signal?: AbortSignal } = {},
  ): Promise<GpuWeights> {
    const rowsOf = (t: GgufTensorInfo) => t.dims.slice(1).reduce((a, b) => a * b, 1);
    const plan: WeightPlan = planWeights(
      infos.map((t) => ({ name: t.name, bytes: t.bytes, rows: rowsOf(t) })),
      {
        maxBufferSize: limits.maxBufferSize ?? 256 * 1024 * 1024,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize ?? 128 * 1024 * 1024,
      },
    );
    const buffers: GPUBuffer[] = [];
    const tensors = new Map<string, GpuTensor>();
    try {
      for (const size of plan.buffers) {
        buffers.push(
          device.createBuffer({
            label: 'weights',
            size,
            usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
          }),
        );
      }
      const total = infos.reduce((s, t) => s + t.bytes, 0);
      let done = 0;
      let inflight = 0;
      for (const t of infos) {
        const parts = plan.parts.get(t.name) as PlacedPart[];
        const gpuParts: GpuTensorPart[] = [];
        const rowBytes = ggmlRowBytes(t.type, t.dims[0] ?? 1);
        for (const p of parts) {
          const buffer = buffers[p.buffer] as GPUBuffer;
          for (let o = 0; o < p.bytes; o += CHUNK_BYTES) {
            if (opts.signal?.aborted) {
              throw new RuminateError(
                'aborted',
                'Loading was aborted; the previous model (if any) is still loaded.',
              );
            }
            const n = Math.min(CHUNK_BYTES, p.bytes - o);
            const bytes = await source.read(t.offset + p.rowStart * rowBytes + o, n);
            // writeBuffer sizes must be multiples of 4: pad the last piece (the slack is allocated).
            const padded = n % 4 === 0 ? bytes : padTo4(bytes);
            device.queue.writeBuffer(
              buffer,
              p.offset + o,
              padded.buffer,
              padded.byteOffset,
              padded.byteLength,
            );
            done += n;
            inflight += n;
            opts.onProgress?.({ phase: 'upload', done, total });
            if (inflight >= INFLIGHT_BYTES) {
              await device.queue.onSubmittedWorkDone();
              inflight = 0;
            }
          }
          gpuParts.push({
            buffer,
            offset: p.offset,
            size: Math.ceil(p.bytes / 4) * 4,
            dtype: t.type.name,
            rows: p.rows,
            cols: t.dims[0] ?? 1,
            rowStart: p.rowStart,
          });
        }
        tensors.set(t.name, { name: t.name, dtype: t.type.name, dims: t.dims, parts: gpuParts });
      }
      await device.queue.onSubmittedWorkDone();
    } catch (e) {
      for (const b of buffers) b.destroy();
      throw e;
    }
    return new GpuWeights(buffers, tensors);
  }

  /** The tensor, or undefined when the model lacks it. */
  get(name: string): GpuTensor | undefined {
    return this.tensors.get(name);
  }

  /** The tensor; throws `gguf-invalid` naming it when missing. */
  need(name: string): GpuTensor {
    const t = this.tensors.get(name);
    if (!t)
      throw new RuminateError('gguf-invalid', `The model lacks tensor ${name}; the file is incomplete.`);
    return t;
  }

  /** Destroys every weight buffer. */
  destroy(): void {
    for (const b of this.buffers) b.destroy();
  }
}

function padTo4(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
  out.set(bytes);
  return out;
}
