// Typed accessors for GGUF metadata, and constructors for values to write. Getters throw a
// `gguf-invalid` RuminateError naming the key when a required entry is missing or has the
// wrong type, so loaders never see `undefined` where a hyperparameter should be.

import { RuminateError } from '@ruminate/errors';
import type { GgufArrayValues, GgufValue } from './types.ts';

type Meta = ReadonlyMap<string, GgufValue>;

function wrongType(key: string, v: GgufValue, want: string): RuminateError {
  return new RuminateError('gguf-invalid', `GGUF metadata '${key}' is ${v.type}, expected ${want}.`);
}

function missing(key: string): RuminateError {
  return new RuminateError(
    'gguf-invalid',
    `GGUF metadata '${key}' is missing; the file was not converted for this architecture or is incomplete.`,
  );
}

/** A numeric entry as a JS number (u64/i64 must be safe integers); `fallback` when absent. */
export function metaNumber(meta: Meta, key: string, fallback?: number): number {
  const v = meta.get(key);
  if (v === undefined) {
    if (fallback === undefined) throw missing(key);
    return fallback;
  }
  if (v.type === 'u64' || v.type === 'i64') {
    const n = Number(v.value);
    if (!Number.isSafeInteger(n))
      throw new RuminateError('gguf-invalid', `GGUF metadata '${key}' = ${v.value} is too large.`);
    return n;
  }
  if (v.type === 'array' || typeof v.value !== 'number') throw wrongType(key, v, 'a number');
  return v.value;
}

/** A numeric entry, or undefined when absent. */
export function metaOptionalNumber(meta: Meta, key: string): number | undefined {
  return meta.has(key) ? metaNumber(meta, key) : undefined;
}

/** A string entry; `fallback` when absent. */
export function metaString(meta: Meta, key: string, fallback?: string): string {
  const v = meta.get(key);
  if (v === undefined) {
    if (fallback === undefined) throw missing(key);
    return fallback;
  }
  if (v.type !== 'string') throw wrongType(key, v, 'a string');
  return v.value;
}

/** A bool entry; `fallback` when absent. */
export function metaBool(meta: Meta, key: string, fallback?: boolean): boolean {
  const v = meta.get(key);
  if (v === undefined) {
    if (fallback === undefined) throw missing(key);
    return fallback;
  }
  if (v.type !== 'bool') throw wrongType(key, v, 'a bool');
  return v.value;
}

/** An array entry's elements, or undefined when absent. */
export function metaArray(meta: Meta, key: string): GgufArrayValues | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (v.type !== 'array') throw wrongType(key, v, 'an array');
  return v;
}

/** An array-of-strings entry, or undefined when absent. */
export function metaStrings(meta: Meta, key: string): string[] | undefined {
  const a = metaArray(meta, key);
  if (a === undefined) return undefined;
  if (a.itemType !== 'string')
    throw new RuminateError('gguf-invalid', `GGUF metadata '${key}' holds ${a.itemType}, expected strings.`);
  return a.values;
}

/** A numeric array entry as numbers (any integer or float element type), or undefined when absent. */
export function metaNumbers(meta: Meta, key: string): number[] | undefined {
  const a = metaArray(meta, key);
  if (a === undefined) return undefined;
  if (a.itemType === 'string' || a.itemType === 'bool' || a.itemType === 'array') {
    throw new RuminateError('gguf-invalid', `GGUF metadata '${key}' holds ${a.itemType}, expected numbers.`);
  }
  return Array.from(a.values as ArrayLike<number | bigint>, Number);
}

/** Constructors for metadata values, for writers and fixtures. */
export const gguf = {
  u8: (value: number): GgufValue => ({ type: 'u8', value }),
  i8: (value: number): GgufValue => ({ type: 'i8', value }),
  u16: (value: number): GgufValue => ({ type: 'u16', value }),
  i16: (value: number): GgufValue => ({ type: 'i16', value }),
  u32: (value: number): GgufValue => ({ type: 'u32', value }),
  i32: (value: number): GgufValue => ({ type: 'i32', value }),
  f32: (value: number): GgufValue => ({ type: 'f32', value }),
  f64: (value: number): GgufValue => ({ type: 'f64', value }),
  u64: (value: bigint | number): GgufValue => ({ type: 'u64', value: BigInt(value) }),
  i64: (value: bigint | number): GgufValue => ({ type: 'i64', value: BigInt(value) }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  strings: (values: string[]): GgufValue => ({ type: 'array', itemType: 'string', values }),
  f32s: (values: ArrayLike<number>): GgufValue => ({
    type: 'array',
    itemType: 'f32',
    values: Float32Array.from(values),
  }),
  i32s: (values: ArrayLike<number>): GgufValue => ({
    type: 'array',
    itemType: 'i32',
    values: Int32Array.from(values),
  }),
  u32s: (values: ArrayLike<number>): GgufValue => ({
    type: 'array',
    itemType: 'u32',
    values: Uint32Array.from(values),
  }),
  array: (values: GgufArrayValues): GgufValue => ({ type: 'array', ...values }),
};
