// The internal weight formats the matmul kernels read, and the memory a repacked tensor takes.
//
// Every format stores the matrix (rows × cols, row-major in GGUF) in tiles of TILE_ROWS = 4
// consecutive rows (the last tile padded with zero rows). Inside a tile, quantized formats keep
// one record per group of 32 columns, records back to back:
//   data  — the 4 rows' 32 values, interleaved in chunks of 4 columns: chunk c (columns 4c…4c+3)
//           is 16 bytes, byte 4r + j = value of row r, column 4c + j. One v128 is then 4 rows × 4
//           columns, so `i32x4.relaxed_dot_i8x16_i7x16_add_s` (or i16 widening + dot) against the
//           activation's 4 bytes splatted to every lane yields one partial sum per row in each
//           lane: no horizontal reduction is needed.
//             u8 / s8: 8 chunks, 128 bytes.
//             u4: 64 bytes, v128 p (p = 0…3) holds chunk p in its low nibbles and chunk p + 4 in
//                 its high nibbles, unpacked with one v128.and and one i8x16.shr_u.
//   d     — f32 × 4 (one per row) per scale group in the record (1 for groups of 32, 2 for 16).
//   m     — f32 × 4 per scale group, only for formats with a free offset.
// A weight is d·q + offset, offset = `constOffset`·d ("const": Q4_0 −8, Q5_0 −16, Q6_K −32),
// m ("free": Q4_1, Q5_1, Q4_K, Q5_K) or 0 (Q8_0, Q8_1). All fields are 16-byte aligned when the
// tensor is.
// The f32 format (F32, F16, BF16, converted at load: f16 and bf16 weights take twice their file
// size) stores per tile, for each column c, the 4 rows' values as one v128: 16·cols bytes.

/** GGML tensor types the CPU backend repacks (lower case, as in GGUF type names). */
export type WeightType =
  | 'f32'
  | 'f16'
  | 'bf16'
  | 'q8_0'
  | 'q8_1'
  | 'q4_0'
  | 'q4_1'
  | 'q5_0'
  | 'q5_1'
  | 'q4_k'
  | 'q5_k'
  | 'q6_k';

/** Every WeightType. */
export const WEIGHT_TYPES: readonly WeightType[] = [
  'f32',
  'f16',
  'bf16',
  'q8_0',
  'q8_1',
  'q4_0',
  'q4_1',
  'q5_0',
  'q5_1',
  'q4_k',
  'q5_k',
  'q6_k',
];

/** Rows per tile in every packed format (the lanes of one f32x4 accumulator). */
export const TILE_ROWS = 4;

/** Columns per record of the quantized formats. */
export const RECORD_COLS = 32;

/** How the integer values are stored: 4-bit unsigned, 8-bit unsigned (0…127), 8-bit signed, or f32. */
export type ValueKind = 'u4' | 'u8' | 's8' | 'f32';

/** An internal weight format: value storage, scale granularity and offset. */
export interface PackedFormat {
  /** Storage of the values. */
  readonly kind: ValueKind;
  /** Columns sharing one scale: 32 (16 for Q6_K); 1 for f32. */
  readonly group: 32 | 16 | 1;
  /** How the offset is given: none, constOffset·d, or a stored m. */
  readonly offset: 'none' | 'const' | 'free';
  /** The constant multiple of d for 'const' offsets (−8, −16, −32); 0 otherwise. */
  readonly constOffset: number;
  /** Largest stored value (15, 31, 63, 127; 0 for f32): u values below 128 are 7-bit operands. */
  readonly maxValue: number;
  /** GGUF block size of the source type (1, 32 or 256); cols must be a multiple. */
  readonly sourceBlock: number;
  /** GGUF bytes per source block. */
  readonly sourceBlockBytes: number;
}

const fmt = (
  kind: ValueKind,
  group: PackedFormat['group'],
  offset: PackedFormat['offset'],
  constOffset: number,
  maxValue: number,
  sourceBlock: number,
  sourceBlockBytes: number,
): PackedFormat => ({ kind, group, offset, constOffset, maxValue, sourceBlock, sourceBlockBytes });

// Source block sizes from ggml-common.h (block_q4_0 18 B, block_q4_1 20, block_q5_0 22,
// block_q5_1 24, block_q8_0 34, block_q8_1 36, block_q4_K 144, block_q5_K 176, block_q6_K 210).
const FORMATS: Record<WeightType, PackedFormat> = {
  f32: fmt('f32', 1, 'none', 0, 0, 1, 4),
  f16: fmt('f32', 1, 'none', 0, 0, 1, 2),
  bf16: fmt('f32', 1, 'none', 0, 0, 1, 2),
  q8_0: fmt('s8', 32, 'none', 0, 127, 32, 34),
  q8_1: fmt('s8', 32, 'none', 0, 127, 32, 36),
  q4_0: fmt('u4', 32, 'const', -8, 15, 32, 18),
  q4_1: fmt('u4', 32, 'free', 0, 15, 32, 20),
  q5_0: fmt('u8', 32, 'const', -16, 31, 32, 22),
  q5_1: fmt('u8', 32, 'free', 0, 31, 32, 24),
  q4_k: fmt('u4', 32, 'free', 0, 15, 256, 144),
  q5_k: fmt('u8', 32, 'free', 0, 31, 256, 176),
  q6_k: fmt('u8', 16, 'const', -32, 63, 256, 210),
};

/** The internal format a GGUF type is repacked to. */
export function formatOf(type: WeightType): PackedFormat {
  const f = FORMATS[type];
  if (!f) throw new RangeError(`No packed format for weight type ${type}.`);
  return f;
}

/** Bytes of the values of one record (32 columns × 4 rows). */
export function recordDataBytes(format: PackedFormat): number {
  return format.kind === 'u4' ? 64 : 128;
}

/** Scale groups per record (1, or 2 for groups of 16). */
export function scaleGroupsPerRecord(format: PackedFormat): number {
  return RECORD_COLS / format.group;
}

/** Bytes of one record: data, d (16 B per scale group), m (16 B per scale group when free). */
export function recordBytes(format: PackedFormat): number {
  const scales = scaleGroupsPerRecord(format) * 16 * (format.offset === 'free' ? 2 : 1);
  return recordDataBytes(format) + scales;
}

/** Bytes of one tile of 4 rows with `cols` columns. */
export function tileBytes(format: PackedFormat, cols: number): number {
  if (format.kind === 'f32') return 16 * cols;
  return (cols / RECORD_COLS) * recordBytes(format);
}

/** Where a packed tensor's memory goes: its format, tile geometry and total size. */
export interface PackedLayout {
  /** The internal format. */
  readonly format: PackedFormat;
  /** Tiles of 4 rows (⌈rows / 4⌉). */
  readonly tiles: number;
  /** Bytes per tile. */
  readonly tileBytes: number;
  /** Total bytes (tiles · tileBytes); allocate 16-byte aligned. */
  readonly bytes: number;
}

/** The packed layout of a rows × cols tensor of `type` (cols must be whole source blocks). */
export function packedLayout(type: WeightType, rows: number, cols: number): PackedLayout {
  const format = formatOf(type);
  if (!Number.isInteger(rows) || rows <= 0 || !Number.isInteger(cols) || cols <= 0) {
    throw new RangeError(`A ${type} tensor needs positive integer rows and cols, got ${rows} × ${cols}.`);
  }
  if (cols % format.sourceBlock !== 0) {
    throw new RangeError(`${type} rows are whole blocks of ${format.sourceBlock}; ${cols} columns is not.`);
  }
  const tiles = Math.ceil(rows / TILE_ROWS);
  const tb = tileBytes(format, cols);
  return { format, tiles, tileBytes: tb, bytes: tiles * tb };
}

/** GGUF bytes of one row of `cols` values of `type`. */
export function sourceRowBytes(type: WeightType, cols: number): number {
  const f = formatOf(type);
  return (cols / f.sourceBlock) * f.sourceBlockBytes;
}
