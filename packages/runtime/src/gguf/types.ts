// Types of a parsed GGUF header. Layout facts from the GGUF spec, ggml-org/ggml docs/gguf.md
// ("File Structure"): little-endian; header = magic "GGUF", u32 version, u64 tensor_count,
// u64 metadata_kv_count; then metadata key/values, tensor infos, padding to
// `general.alignment` (default 32), tensor data.

import type { GgmlTypeInfo } from '@ruminate/gpu';

/** Random-access bytes of one file: a Node file handle, a Blob, an HTTP resource, a cache entry. */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes starting at `offset` (the caller keeps `offset + length <= size`). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Optional streamed read of a range, in chunks, for sources that can do better than repeated `read`. */
  stream?(offset: number, length: number): AsyncIterable<Uint8Array>;
  /** Releases what the source holds open (file handles, connections). */
  close?(): Promise<void>;
  /** Human-readable name for error messages (a path, a URL, a file name). */
  readonly name?: string;
}

/** Scalar metadata value types, by their GGUF names (`gguf_metadata_value_type`). */
export type GgufScalarType =
  | 'u8'
  | 'i8'
  | 'u16'
  | 'i16'
  | 'u32'
  | 'i32'
  | 'f32'
  | 'bool'
  | 'string'
  | 'u64'
  | 'i64'
  | 'f64';

/** Any metadata value type (scalars and arrays). */
export type GgufValueType = GgufScalarType | 'array';

/** Type ids as stored in a file, indexed by id (GGUF spec `gguf_metadata_value_type`). */
export const GGUF_VALUE_TYPE_IDS: readonly GgufValueType[] = [
  'u8',
  'i8',
  'u16',
  'i16',
  'u32',
  'i32',
  'f32',
  'bool',
  'string',
  'array',
  'u64',
  'i64',
  'f64',
];

/** The elements of a GGUF array, stored compactly by element type. */
export type GgufArrayValues =
  | { itemType: 'u8'; values: Uint8Array }
  | { itemType: 'i8'; values: Int8Array }
  | { itemType: 'u16'; values: Uint16Array }
  | { itemType: 'i16'; values: Int16Array }
  | { itemType: 'u32'; values: Uint32Array }
  | { itemType: 'i32'; values: Int32Array }
  | { itemType: 'f32'; values: Float32Array }
  | { itemType: 'f64'; values: Float64Array }
  | { itemType: 'u64'; values: BigUint64Array }
  | { itemType: 'i64'; values: BigInt64Array }
  | { itemType: 'bool'; values: boolean[] }
  | { itemType: 'string'; values: string[] }
  | { itemType: 'array'; values: GgufArrayValues[] };

/** One metadata value with its stored type, so a file can be written back unchanged. */
export type GgufValue =
  | { type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; value: number }
  | { type: 'u64' | 'i64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | ({ type: 'array' } & GgufArrayValues);

/** One tensor's description from the header, with its data located in the file. */
export interface GgufTensorInfo {
  /** Tensor name (`blk.0.attn_q.weight`). */
  name: string;
  /** Element type and block geometry. */
  type: GgmlTypeInfo;
  /** Dimensions, innermost first (ggml `ne`: dims[0] is the row length); each a safe integer. */
  dims: number[];
  /** Element count (product of dims). */
  elements: number;
  /** Absolute byte offset of the data in the file. */
  offset: number;
  /** Byte length of the data. */
  bytes: number;
}

/** A parsed GGUF header: everything but the tensor data. */
export interface GgufHeader {
  /** Format version (2 or 3). */
  version: number;
  /** Metadata key/values in file order. */
  metadata: Map<string, GgufValue>;
  /** Tensor infos in file order. */
  tensors: GgufTensorInfo[];
  /** Absolute offset where tensor data begins. */
  dataOffset: number;
  /** `general.alignment` (32 when absent). */
  alignment: number;
  /** Size of the file the header came from. */
  fileSize: number;
}
