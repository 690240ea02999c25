// Reads one GGUF metadata value (GGUF spec `gguf_metadata_value_t`, ggml-org/ggml
// docs/gguf.md). Arrays are checked against the remaining file bytes before any allocation:
// each element occupies at least its fixed size (strings: their 8-byte length prefix,
// nested arrays: their 12-byte type + length), so an array can never claim more elements
// than the file could hold.

import { RuminateError } from '@ruminate/errors';
import type { ByteReader } from './byte-reader.ts';
import { GGUF_VALUE_TYPE_IDS, type GgufArrayValues, type GgufValue, type GgufValueType } from './types.ts';

/** Longest metadata string accepted (a chat template or a license is far below). */
export const MAX_METADATA_STRING_BYTES = 64 * 1024 * 1024;
/** Deepest nesting of arrays inside arrays accepted. */
const MAX_ARRAY_DEPTH = 4;

/** Stored size of one element of a fixed-size type, or the minimum for variable ones. */
function minElementBytes(t: GgufValueType): number {
  switch (t) {
    case 'u8':
    case 'i8':
    case 'bool':
      return 1;
    case 'u16':
    case 'i16':
      return 2;
    case 'u32':
    case 'i32':
    case 'f32':
      return 4;
    case 'u64':
    case 'i64':
    case 'f64':
    case 'string':
      return 8;
    case 'array':
      return 12;
  }
}

/** Reads a u32 value-type id and maps it to its name; unknown ids are `gguf-invalid`. */
export async function readValueType(r: ByteReader, what: string): Promise<GgufValueType> {
  await r.ensure(4);
  const at = r.offset;
  const id = r.u32();
  const t = GGUF_VALUE_TYPE_IDS[id];
  if (t === undefined) {
    throw new RuminateError(
      'gguf-invalid',
      `${r.name()}: ${what} at byte ${at} has value type ${id}, which GGUF does not define (0–12). The file is corrupt.`,
    );
  }
  return t;
}

/** Reads a value of type `t` at the reader's position. */
export async function readValue(r: ByteReader, t: GgufValueType, what: string): Promise<GgufValue> {
  switch (t) {
    case 'string':
      return { type: 'string', value: await r.string(what, MAX_METADATA_STRING_BYTES) };
    case 'array':
      return { type: 'array', ...(await readArray(r, what, 0)) };
    case 'bool': {
      await r.ensure(1);
      return { type: 'bool', value: readBool(r, what) };
    }
    case 'u64':
    case 'i64':
      await r.ensure(8);
      return { type: t, value: t === 'u64' ? r.u64() : r.i64() };
    default:
      await r.ensure(minElementBytes(t));
      return { type: t, value: readNumber(r, t) };
  }
}

function readBool(r: ByteReader, what: string): boolean {
  const at = r.offset;
  const b = r.u8();
  if (b > 1) {
    throw new RuminateError(
      'gguf-invalid',
      `${r.name()}: ${what} at byte ${at} is a bool stored as ${b}; GGUF allows only 0 or 1. The file is corrupt.`,
    );
  }
  return b === 1;
}

function readNumber(r: ByteReader, t: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'): number {
  switch (t) {
    case 'u8':
      return r.u8();
    case 'i8':
      return r.i8();
    case 'u16':
      return r.u16();
    case 'i16':
      return r.i16();
    case 'u32':
      return r.u32();
    case 'i32':
      return r.i32();
    case 'f32':
      return r.f32();
    case 'f64':
      return r.f64();
  }
}

async function readArray(r: ByteReader, what: string, depth: number): Promise<GgufArrayValues> {
  if (depth >= MAX_ARRAY_DEPTH) {
    throw new RuminateError(
      'gguf-unsupported',
      `${r.name()}: ${what} nests arrays more than ${MAX_ARRAY_DEPTH} deep at byte ${r.offset}; no model needs that.`,
    );
  }
  const itemType = await readValueType(r, `${what} (array element type)`);
  await r.ensure(8);
  const n = r.checkCount(r.u64(), minElementBytes(itemType), `${what} (array of ${itemType})`);
  switch (itemType) {
    case 'string': {
      const values: string[] = [];
      for (let i = 0; i < n; i++) {
        // Most elements are already buffered: read them without a promise per string.
        const s =
          r.stringSync(MAX_METADATA_STRING_BYTES) ??
          (await r.string(`${what}[${i}]`, MAX_METADATA_STRING_BYTES));
        values.push(s);
      }
      return { itemType, values };
    }
    case 'array': {
      const values: GgufArrayValues[] = [];
      for (let i = 0; i < n; i++) values.push(await readArray(r, `${what}[${i}]`, depth + 1));
      return { itemType, values };
    }
    case 'bool': {
      await r.ensure(n);
      const values: boolean[] = [];
      for (let i = 0; i < n; i++) values.push(readBool(r, `${what}[${i}]`));
      return { itemType, values };
    }
    default:
      return readFixedArray(r, itemType, n);
  }
}

type FixedType = Exclude<GgufValueType, 'string' | 'array' | 'bool'>;

/** Copies `n` fixed-size little-endian elements into a typed array (length checked by the caller). */
async function readFixedArray(r: ByteReader, t: FixedType, n: number): Promise<GgufArrayValues> {
  const size = minElementBytes(t);
  await r.ensure(n * size);
  const raw = r.bytes(n * size); // a fresh, aligned copy: typed views over it are little-endian on every web platform
  const b = raw.buffer;
  switch (t) {
    case 'u8':
      return { itemType: t, values: raw };
    case 'i8':
      return { itemType: t, values: new Int8Array(b) };
    case 'u16':
      return { itemType: t, values: new Uint16Array(b) };
    case 'i16':
      return { itemType: t, values: new Int16Array(b) };
    case 'u32':
      return { itemType: t, values: new Uint32Array(b) };
    case 'i32':
      return { itemType: t, values: new Int32Array(b) };
    case 'f32':
      return { itemType: t, values: new Float32Array(b) };
    case 'f64':
      return { itemType: t, values: new Float64Array(b) };
    case 'u64':
      return { itemType: t, values: new BigUint64Array(b) };
    case 'i64':
      return { itemType: t, values: new BigInt64Array(b) };
  }
}
