// GGML tensor types: ids as stored in GGUF tensor infos, and their block geometry.
// Source of the facts: ggml's `ggml_type` enum and `type_traits` table (ggml/src/ggml.c,
// ggml/include/ggml.h) and the GGUF spec (ggml/docs/gguf.md).

/** A GGML tensor type Ruminate knows the layout of, named in lower case. */
export type GgmlTypeName =
  | 'f32'
  | 'f16'
  | 'bf16'
  | 'f64'
  | 'i8'
  | 'i16'
  | 'i32'
  | 'i64'
  | 'q4_0'
  | 'q4_1'
  | 'q5_0'
  | 'q5_1'
  | 'q8_0'
  | 'q8_1'
  | 'q2_k'
  | 'q3_k'
  | 'q4_k'
  | 'q5_k'
  | 'q6_k'
  | 'q8_k';

/** Block geometry of one GGML type. */
export interface GgmlTypeInfo {
  /** Lower-case name (`q4_k`). */
  name: GgmlTypeName;
  /** Id stored in a GGUF tensor info. */
  id: number;
  /** Elements per block (1 for plain types). */
  blockSize: number;
  /** Bytes per block. */
  blockBytes: number;
  /** Whether Ruminate's kernels compute with this type (others parse but cannot load). */
  computable: boolean;
}

const table: GgmlTypeInfo[] = [
  { name: 'f32', id: 0, blockSize: 1, blockBytes: 4, computable: true },
  { name: 'f16', id: 1, blockSize: 1, blockBytes: 2, computable: true },
  { name: 'q4_0', id: 2, blockSize: 32, blockBytes: 18, computable: true },
  { name: 'q4_1', id: 3, blockSize: 32, blockBytes: 20, computable: true },
  { name: 'q5_0', id: 6, blockSize: 32, blockBytes: 22, computable: true },
  { name: 'q5_1', id: 7, blockSize: 32, blockBytes: 24, computable: false },
  { name: 'q8_0', id: 8, blockSize: 32, blockBytes: 34, computable: true },
  { name: 'q8_1', id: 9, blockSize: 32, blockBytes: 36, computable: false },
  { name: 'q2_k', id: 10, blockSize: 256, blockBytes: 84, computable: false },
  { name: 'q3_k', id: 11, blockSize: 256, blockBytes: 110, computable: false },
  { name: 'q4_k', id: 12, blockSize: 256, blockBytes: 144, computable: true },
  { name: 'q5_k', id: 13, blockSize: 256, blockBytes: 176, computable: true },
  { name: 'q6_k', id: 14, blockSize: 256, blockBytes: 210, computable: true },
  { name: 'q8_k', id: 15, blockSize: 256, blockBytes: 292, computable: false },
  { name: 'i8', id: 24, blockSize: 1, blockBytes: 1, computable: false },
  { name: 'i16', id: 25, blockSize: 1, blockBytes: 2, computable: false },
  { name: 'i32', id: 26, blockSize: 1, blockBytes: 4, computable: false },
  { name: 'i64', id: 27, blockSize: 1, blockBytes: 8, computable: false },
  { name: 'f64', id: 28, blockSize: 1, blockBytes: 8, computable: false },
  { name: 'bf16', id: 30, blockSize: 1, blockBytes: 2, computable: true },
];

const byId = new Map(table.map((t) => [t.id, t]));
const byName = new Map(table.map((t) => [t.name, t]));

/** Layout of the GGML type with this GGUF id, or undefined for a type Ruminate does not know. */
export function ggmlTypeById(id: number): GgmlTypeInfo | undefined {
  return byId.get(id);
}

/** Layout of a GGML type by its lower-case name. */
export function ggmlType(name: GgmlTypeName): GgmlTypeInfo {
  const t = byName.get(name);
  if (!t) throw new Error(`unknown ggml type ${name}`);
  return t;
}

/** Bytes that `elements` values of `type` occupy; `elements` must be a multiple of the block size. */
export function ggmlRowBytes(type: GgmlTypeInfo, elements: number): number {
  return (elements / type.blockSize) * type.blockBytes;
}
