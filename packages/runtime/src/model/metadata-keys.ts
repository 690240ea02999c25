// Typed reads of GGUF metadata keys, as strict as llama.cpp's llama_model_loader (src/llama-model-
// loader.cpp): `get_key` refuses a key stored with another type than the one it reads ("key %s has
// wrong type"), and `get_key_or_arr` takes either one value or an array with one value per layer
// ("key %s has wrong array length"; u32, i32 or bool elements).
import { RuminateError } from '@ruminate/errors';

/** A metadata value as the GGUF parser stores it: scalars in `value`, arrays in `values`. */
export interface MetadataValue {
  /** GGUF value type (`u32`, `f32`, `string`, `array`, …). */
  type: string;
  /** Scalar payload. */
  value?: unknown;
  /** Array element type. */
  itemType?: string;
  /** Array payload. */
  values?: ArrayLike<unknown>;
}

/** The parsed metadata of one file. */
export type Metadata = ReadonlyMap<string, MetadataValue>;

function wrongType(key: string, found: string, want: string): RuminateError {
  return new RuminateError(
    'gguf-invalid',
    `Metadata key ${key} is stored as ${found}, but llama.cpp reads it as ${want} and refuses the file; ` +
      'convert the model again with a current llama.cpp (convert_hf_to_gguf.py).',
  );
}

function scalar(meta: Metadata, key: string, type: string): unknown {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (v.type !== type) throw wrongType(key, v.type, type);
  return v.value;
}

/** A u32 key, or undefined when absent. */
export function readU32(meta: Metadata, key: string): number | undefined {
  return scalar(meta, key, 'u32') as number | undefined;
}

/** An f32 key, or undefined when absent. */
export function readF32(meta: Metadata, key: string): number | undefined {
  return scalar(meta, key, 'f32') as number | undefined;
}

/** A string key, or undefined when absent. */
export function readString(meta: Metadata, key: string): string | undefined {
  return scalar(meta, key, 'string') as string | undefined;
}

/** A bool key, or undefined when absent. */
export function readBool(meta: Metadata, key: string): boolean | undefined {
  return scalar(meta, key, 'bool') as boolean | undefined;
}

/**
 * A u32 key given once for every layer or as an array of `nLayers` values (llama.cpp
 * `get_key_or_arr`), or undefined when absent.
 */
export function readU32PerLayer(meta: Metadata, key: string, nLayers: number): number[] | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (v.type !== 'array') {
    const one = scalar(meta, key, 'u32') as number;
    return Array.from({ length: nLayers }, () => one);
  }
  const item = v.itemType ?? '?';
  if (item !== 'u32' && item !== 'i32' && item !== 'bool') {
    throw wrongType(key, `an array of ${item}`, 'u32 or an array of u32/i32/bool');
  }
  const values = Array.from(v.values ?? [], Number);
  if (values.length !== nLayers) {
    throw new RuminateError(
      'gguf-invalid',
      `Metadata key ${key} has ${values.length} values but the model has ${nLayers} layers; llama.cpp ` +
        'refuses the file ("wrong array length"). The file is damaged or mislabelled.',
    );
  }
  return values;
}

/**
 * The one value of a per-layer key. Ruminate runs models whose layers all have the same value;
 * different values per layer are refused as not implemented.
 */
export function uniform(key: string, values: readonly number[]): number {
  const first = values[0] ?? 0;
  if (values.some((v) => v !== first)) {
    throw new RuminateError(
      'gguf-unsupported',
      `Metadata key ${key} gives different values per layer (${[...new Set(values)].join(', ')}); ` +
        'Ruminate runs only models whose layers all have the same shape.',
    );
  }
  return first;
}
