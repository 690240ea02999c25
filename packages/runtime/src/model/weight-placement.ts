// Where each weight tensor goes in GPU memory. Tensors are packed into a few large buffers
// (fewer allocations, fewer bind groups), each at most `maxBufferSize`, every tensor starting
// on a 256-byte boundary (WebGPU's minStorageBufferOffsetAlignment is at most 256), and no
// bound range larger than `maxStorageBufferBindingSize`. A matrix too large for one binding
// is split by rows into parts that each fit (e.g. a big-vocabulary output head on a phone's
// 128 MiB binding limit); a matmul then runs once per part.
import { RuminateError } from '@ruminate/errors';

/** Byte alignment of every placed tensor (the largest minStorageBufferOffsetAlignment WebGPU allows). */
export const PLACEMENT_ALIGNMENT = 256;

/** What placement needs to know of a tensor. */
export interface PlacementTensor {
  /** GGUF name. */
  name: string;
  /** Bytes of its data. */
  bytes: number;
  /** Rows (product of dims[1..]); a split never cuts a row. */
  rows: number;
}

/** A run of whole rows of one tensor, in one buffer. */
export interface PlacedPart {
  /** Index of the buffer (into `WeightPlan.buffers`). */
  buffer: number;
  /** Byte offset in that buffer (multiple of PLACEMENT_ALIGNMENT). */
  offset: number;
  /** Bytes of the part. */
  bytes: number;
  /** First row of the tensor in this part. */
  rowStart: number;
  /** Rows in this part. */
  rows: number;
}

/** A placement of every tensor. */
export interface WeightPlan {
  /** Size in bytes of each buffer to create (multiples of 4). */
  buffers: number[];
  /** Parts of each tensor, by name, in row order. */
  parts: Map<string, PlacedPart[]>;
}

/** Device limits placement respects. */
export interface PlacementLimits {
  /** Largest buffer. */
  maxBufferSize: number;
  /** Largest bound range. */
  maxStorageBufferBindingSize: number;
  /** Size of buffers to aim for (default 256 MiB), below maxBufferSize. */
  targetBufferSize?: number;
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Packs tensors into buffers in order (first fit into the current buffer, else a new one). */
export function planWeights(tensors: readonly PlacementTensor[], limits: PlacementLimits): WeightPlan {
  const maxBinding = Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / 4) * 4;
  const cap = Math.max(
    maxBinding,
    Math.min(limits.maxBufferSize, limits.targetBufferSize ?? 256 * 1024 * 1024) - PLACEMENT_ALIGNMENT,
  );
  const buffers: number[] = [];
  const parts = new Map<string, PlacedPart[]>();
  let current = -1;
  let used = 0;
  const place = (bytes: number): { buffer: number; offset: number } => {
    const offset = alignUp(used, PLACEMENT_ALIGNMENT);
    if (current < 0 || offset + bytes > cap) {
      buffers.push(0);
      current = buffers.length - 1;
      used = bytes;
      buffers[current] = alignUp(bytes, 4);
      return { buffer: current, offset: 0 };
    }
    used = offset + bytes;
    buffers[current] = alignUp(used, 4);
    return { buffer: current, offset };
  };
  for (const t of tensors) {
    if (t.rows < 1 || t.bytes % t.rows !== 0) {
      throw new RuminateError(
        'gguf-invalid',
        `Tensor ${t.name}: ${t.bytes} bytes do not split into ${t.rows} rows.`,
      );
    }
    const rowBytes = t.bytes / t.rows;
    // A part must fit a binding; keep whole rows (and 4-byte-multiple sizes for writeBuffer).
    const rowsPerPart = Math.floor(maxBinding / rowBytes);
    if (rowsPerPart < 1) {
      throw new RuminateError(
        'limit-too-low',
        `One row of ${t.name} (${rowBytes} bytes) exceeds this device's maxStorageBufferBindingSize ` +
          `(${limits.maxStorageBufferBindingSize}). Use a device with larger storage bindings.`,
      );
    }
    const list: PlacedPart[] = [];
    for (let rowStart = 0; rowStart < t.rows; rowStart += rowsPerPart) {
      const rows = Math.min(rowsPerPart, t.rows - rowStart);
      const bytes = rows * rowBytes;
      list.push({ ...place(bytes), bytes, rowStart, rows });
    }
    parts.set(t.name, list);
  }
  return { buffers, parts };
}
