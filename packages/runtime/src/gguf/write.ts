// GGUF v3 writer (layout: ggml-org/ggml docs/gguf.md, "File Structure"). Tensors are laid
// out in the order given, each at the next multiple of the alignment after the previous one
// and zero-padded, which is the layout ggml's reader requires (ggml/src/gguf.cpp checks that
// each offset equals the running padded size). `layoutGguf` computes the header and offsets
// without tensor data, so a caller can write huge or sparse files piece by piece.

import { RuminateError } from '@ruminate/errors';
import { type GgmlTypeInfo, type GgmlTypeName, ggmlType } from '@ruminate/gpu';
import { ByteWriter } from './byte-writer.ts';
import { GGUF_DEFAULT_ALIGNMENT } from './parse.ts';
import { GGUF_VALUE_TYPE_IDS, type GgufArrayValues, type GgufValue, type GgufValueType } from './types.ts';

/** A tensor to write: its name, type, dims (innermost first) and, for `writeGguf`, its bytes. */
export interface GgufWriteTensor {
  /** Tensor name (at most 63 bytes of UTF-8). */
  name: string;
  /** Element type. */
  type: GgmlTypeName | GgmlTypeInfo;
  /** Dimensions, innermost first (ggml `ne`). */
  dims: number[];
  /** Encoded tensor bytes (exactly the size the type and dims imply). */
  data?: Uint8Array;
}

/** Where everything goes in a file to be written. */
export interface GgufLayout {
  /** Header bytes: magic, counts, metadata, tensor infos and the padding up to `dataOffset`. */
  header: Uint8Array;
  /** Absolute offset of the tensor data section. */
  dataOffset: number;
  /** Absolute offset of each tensor's data. */
  tensorOffsets: number[];
  /** Byte size of each tensor's data. */
  tensorBytes: number[];
  /** Total file size (data of the last tensor padded to the alignment). */
  totalSize: number;
}

/** Options for the writer. */
export interface GgufWriteOptions {
  /** Data alignment; written as `general.alignment` when not the default 32. */
  alignment?: number;
}

const textEncoder = new TextEncoder();

function typeInfo(t: GgmlTypeName | GgmlTypeInfo): GgmlTypeInfo {
  return typeof t === 'string' ? ggmlType(t) : t;
}

/** Bytes a tensor of `type` with `dims` occupies; throws on rows that are not whole blocks. */
export function tensorByteSize(type: GgmlTypeName | GgmlTypeInfo, dims: number[], name = 'tensor'): number {
  const t = typeInfo(type);
  const first = dims[0] ?? 1;
  if (first % t.blockSize !== 0) {
    throw new RuminateError(
      'invalid-argument',
      `${name}: rows of ${first} ${t.name} elements are not whole ${t.blockSize}-element blocks.`,
      { field: 'dims' },
    );
  }
  const elements = dims.reduce((a, b) => a * b, 1);
  return (elements / t.blockSize) * t.blockBytes;
}

function writeString(w: ByteWriter, s: string): void {
  const b = textEncoder.encode(s);
  w.u64(BigInt(b.length));
  w.bytes(b);
}

function typeId(t: GgufValueType): number {
  return GGUF_VALUE_TYPE_IDS.indexOf(t);
}

function writeArray(w: ByteWriter, a: GgufArrayValues): void {
  w.u32(typeId(a.itemType));
  w.u64(BigInt(a.values.length));
  switch (a.itemType) {
    case 'string':
      for (const s of a.values) writeString(w, s);
      return;
    case 'array':
      for (const inner of a.values) writeArray(w, inner);
      return;
    case 'bool':
      for (const b of a.values) w.u8(b ? 1 : 0);
      return;
    default: {
      // Typed arrays hold little-endian data on every platform a browser or Node runs on.
      const v = a.values;
      w.bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    }
  }
}

function writeValue(w: ByteWriter, v: GgufValue): void {
  switch (v.type) {
    case 'u8':
      w.u8(v.value);
      return;
    case 'i8':
      w.i8(v.value);
      return;
    case 'u16':
      w.u16(v.value);
      return;
    case 'i16':
      w.i16(v.value);
      return;
    case 'u32':
      w.u32(v.value);
      return;
    case 'i32':
      w.i32(v.value);
      return;
    case 'f32':
      w.f32(v.value);
      return;
    case 'f64':
      w.f64(v.value);
      return;
    case 'u64':
      w.u64(v.value);
      return;
    case 'i64':
      w.i64(v.value);
      return;
    case 'bool':
      w.u8(v.value ? 1 : 0);
      return;
    case 'string':
      writeString(w, v.value);
      return;
    case 'array':
      writeArray(w, v);
      return;
  }
}

/** Computes the header bytes and every tensor's offset for a GGUF v3 file. */
export function layoutGguf(
  metadata: Iterable<readonly [string, GgufValue]>,
  tensors: readonly Omit<GgufWriteTensor, 'data'>[],
  options: GgufWriteOptions = {},
): GgufLayout {
  const entries = new Map<string, GgufValue>(metadata);
  const alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new RuminateError('invalid-argument', `GGUF alignment must be a power of two, not ${alignment}.`, {
      field: 'alignment',
    });
  }
  if (alignment !== GGUF_DEFAULT_ALIGNMENT)
    entries.set('general.alignment', { type: 'u32', value: alignment });

  const w = new ByteWriter();
  w.bytes(textEncoder.encode('GGUF'));
  w.u32(3);
  w.u64(BigInt(tensors.length));
  w.u64(BigInt(entries.size));
  for (const [key, value] of entries) {
    writeString(w, key);
    w.u32(typeId(value.type));
    writeValue(w, value);
  }
  const tensorBytes: number[] = [];
  const relOffsets: number[] = [];
  let rel = 0;
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name))
      throw new RuminateError('invalid-argument', `Duplicate tensor name '${t.name}'.`, { field: 'tensors' });
    names.add(t.name);
    const bytes = tensorByteSize(t.type, t.dims, t.name);
    writeString(w, t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(BigInt(d));
    w.u32(typeInfo(t.type).id);
    w.u64(BigInt(rel));
    tensorBytes.push(bytes);
    relOffsets.push(rel);
    rel += Math.ceil(bytes / alignment) * alignment;
  }
  if (tensors.length > 0) w.pad(alignment); // ggml's reader aligns the data section only when there are tensors
  const header = w.result();
  const dataOffset = header.length;
  return {
    header,
    dataOffset,
    tensorOffsets: relOffsets.map((o) => dataOffset + o),
    tensorBytes,
    totalSize: dataOffset + rel,
  };
}

/** Writes a complete GGUF v3 file into one buffer (for fixtures and small models). */
export function writeGguf(
  metadata: Iterable<readonly [string, GgufValue]>,
  tensors: readonly GgufWriteTensor[],
  options: GgufWriteOptions = {},
): Uint8Array<ArrayBuffer> {
  const layout = layoutGguf(metadata, tensors, options);
  const out = new Uint8Array(layout.totalSize);
  out.set(layout.header, 0);
  tensors.forEach((t, i) => {
    const want = layout.tensorBytes[i] as number;
    if (!t.data || t.data.length !== want) {
      throw new RuminateError(
        'invalid-argument',
        `Tensor '${t.name}' needs ${want} bytes of data, got ${t.data?.length ?? 'none'}.`,
        { field: 'tensors' },
      );
    }
    out.set(t.data, layout.tensorOffsets[i] as number);
  });
  return out;
}
