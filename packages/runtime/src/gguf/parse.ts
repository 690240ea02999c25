// GGUF v2/v3 header parser (spec: ggml-org/ggml docs/gguf.md, "File Structure"; the checks
// follow ggml's own reader, ggml/src/gguf.cpp: unique keys and tensor names, at most 4 dims,
// dims[0] a multiple of the type's block size, power-of-two u32 `general.alignment`,
// aligned tensor offsets). It reads the header incrementally from a ByteSource and never
// touches tensor data. Each claimed count or length is checked against the bytes left in
// the file before it is used, so hostile input costs time and memory bounded by the file's
// real size, and fails with a RuminateError ('gguf-invalid' or 'gguf-unsupported').

import { RuminateError } from '@ruminate/errors';
import { ByteReader } from './byte-reader.ts';
import { readValue, readValueType } from './read-value.ts';
import { tensorType } from './tensor-types.ts';
import type { ByteSource, GgufHeader, GgufTensorInfo, GgufValue } from './types.ts';

/** "GGUF" as the first four bytes. */
const MAGIC = [0x47, 0x47, 0x55, 0x46];
/** ggml's GGUF_DEFAULT_ALIGNMENT. */
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** ggml's GGML_MAX_DIMS. */
const MAX_DIMS = 4;
/** Longest tensor name ggml accepts (GGML_MAX_NAME, with its terminating NUL). */
const MAX_TENSOR_NAME_BYTES = 63;
/** Longest metadata key the spec allows. */
const MAX_KEY_BYTES = 65535;
/** Smallest stored metadata key/value: 8-byte key length + 4-byte type + 1-byte value. */
const MIN_KV_BYTES = 13;
/** Smallest stored tensor info: name length 8 + n_dims 4 + type 4 + offset 8. */
const MIN_TENSOR_INFO_BYTES = 24;

/** Options for `parseGguf`. */
export interface ParseGgufOptions {
  /** Bytes fetched per read while walking the header (default 1 MiB; larger suits HTTP). */
  chunkBytes?: number;
}

/** Reads a GGUF v2/v3 header (metadata and tensor infos) from `source`. */
export async function parseGguf(source: ByteSource, options: ParseGgufOptions = {}): Promise<GgufHeader> {
  const r = new ByteReader(source, Math.max(64, options.chunkBytes ?? 1 << 20));
  const file = r.name();
  if (!Number.isSafeInteger(source.size) || source.size < 0) {
    throw new RuminateError('gguf-invalid', `${file} reports an invalid size (${source.size}).`);
  }
  if (source.size < 4) r.truncated(4);
  await r.ensure(Math.min(24, source.size));
  const magic = r.bytes(4);
  if (!MAGIC.every((b, i) => magic[i] === b)) {
    const shown = [...magic].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new RuminateError(
      'gguf-invalid',
      `${file} is not a GGUF file: it starts with bytes ${shown}, not "GGUF" (47 47 55 46). Pick a .gguf model file (older GGML/GGJT .bin files must be converted with llama.cpp).`,
    );
  }
  r.context = 'the header';
  await r.ensure(4);
  const version = r.u32();
  if (version !== 2 && version !== 3) {
    const swapped =
      ((version & 0xff) << 24) | ((version & 0xff00) << 8) | ((version >>> 8) & 0xff00) | (version >>> 24);
    throw new RuminateError(
      'gguf-unsupported',
      version === 1
        ? `${file} is GGUF version 1 (32-bit counts, from 2023), which Ruminate does not read. Re-convert it with a current llama.cpp.`
        : swapped === 2 || swapped === 3
          ? `${file} is a big-endian GGUF file; Ruminate reads little-endian files only. Use the little-endian version of the model.`
          : `${file} has unknown GGUF version ${version}; Ruminate reads versions 2 and 3.`,
    );
  }
  await r.ensure(16);
  const tensorCount = r.checkCount(r.u64(), MIN_TENSOR_INFO_BYTES, 'tensor_count');
  const kvCount = r.checkCount(r.u64(), MIN_KV_BYTES, 'metadata_kv_count');

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    r.context = `metadata entry ${i}`;
    const key = await r.string(`metadata key ${i}`, MAX_KEY_BYTES);
    if (metadata.has(key)) {
      throw new RuminateError(
        'gguf-invalid',
        `${file}: metadata key '${key}' appears twice (entry ${i}). The file is corrupt.`,
      );
    }
    const type = await readValueType(r, `metadata '${key}'`);
    metadata.set(key, await readValue(r, type, `metadata '${key}'`));
  }

  const alignment = readAlignment(metadata, file);
  const tensors: GgufTensorInfo[] = [];
  const relOffsets: bigint[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    r.context = `tensor info ${i}`;
    const name = await r.string(`tensor ${i}'s name`, MAX_TENSOR_NAME_BYTES);
    if (names.has(name)) {
      throw new RuminateError(
        'gguf-invalid',
        `${file}: tensor name '${name}' appears twice (tensor ${i}). The file is corrupt.`,
      );
    }
    names.add(name);
    await r.ensure(4);
    const nDims = r.u32();
    if (nDims > MAX_DIMS) {
      throw new RuminateError(
        'gguf-invalid',
        `${file}: tensor '${name}' has ${nDims} dimensions; ggml allows at most ${MAX_DIMS}. The file is corrupt.`,
      );
    }
    await r.ensure(8 * nDims + 12);
    const dims: bigint[] = [];
    for (let d = 0; d < nDims; d++) dims.push(r.u64());
    const type = tensorType(r.u32(), name, file);
    const rel = r.u64();
    const elements = dims.reduce((a, b) => a * b, 1n);
    const first = dims[0] ?? 1n;
    if (first % BigInt(type.blockSize) !== 0n) {
      throw new RuminateError(
        'gguf-invalid',
        `${file}: tensor '${name}' has rows of ${first} elements, not a multiple of ${type.name}'s block size ${type.blockSize}. The file is corrupt.`,
      );
    }
    // Bounded by the file size before any conversion to number: this is where absurd
    // dimensions (2^40 elements in a small file) are caught.
    const bytes = (elements / BigInt(type.blockSize)) * BigInt(type.blockBytes);
    if (dims.some((d) => d > BigInt(Number.MAX_SAFE_INTEGER)) || bytes > BigInt(source.size)) {
      throw new RuminateError(
        'gguf-invalid',
        `${file}: tensor '${name}' claims dims [${dims.join(', ')}] (${elements} ${type.name} elements, ${bytes} bytes), more than the whole file (${source.size} bytes). The file is corrupt.`,
      );
    }
    if (rel % BigInt(alignment) !== 0n) {
      throw new RuminateError(
        'gguf-invalid',
        `${file}: tensor '${name}' has data offset ${rel}, not a multiple of the alignment ${alignment}. The file is corrupt.`,
      );
    }
    relOffsets.push(rel);
    tensors.push({
      name,
      type,
      dims: dims.map(Number),
      elements: Number(elements),
      offset: 0,
      bytes: Number(bytes),
    });
  }

  // Tensor data starts at the next multiple of the alignment after the tensor infos.
  const dataOffset = tensorCount > 0 ? Math.ceil(r.offset / alignment) * alignment : r.offset;
  r.release();
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i] as GgufTensorInfo;
    const end = BigInt(dataOffset) + (relOffsets[i] as bigint) + BigInt(t.bytes);
    if (end > BigInt(source.size)) {
      throw new RuminateError(
        'gguf-invalid',
        `${file}: tensor '${t.name}' (${t.bytes} bytes at data offset ${relOffsets[i]}) ends at byte ${end}, past the end of the file (${source.size} bytes). The file is truncated or corrupt; fetch it again.`,
      );
    }
    t.offset = dataOffset + Number(relOffsets[i]);
  }
  return { version, metadata, tensors, dataOffset, alignment, fileSize: source.size };
}

function readAlignment(metadata: Map<string, GgufValue>, file: string): number {
  const v = metadata.get('general.alignment');
  if (v === undefined) return GGUF_DEFAULT_ALIGNMENT;
  if (v.type !== 'u32' || v.value === 0 || (v.value & (v.value - 1)) !== 0) {
    throw new RuminateError(
      'gguf-invalid',
      `${file}: general.alignment must be a power-of-two u32, but is ${v.type === 'array' ? 'an array' : `${v.type} ${String(v.value)}`}. The file is corrupt.`,
    );
  }
  return v.value;
}
