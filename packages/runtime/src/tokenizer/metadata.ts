// Reads the tokenizer keys of GGUF metadata (llama.cpp gguf-py/gguf/constants.py, `tokenizer.*`)
// into plain typed values. Takes a Map or a plain record of metadata values: plain values
// (arrays may be JS arrays or typed arrays, integers numbers or bigints), or values still in
// the GGUF parser's typed form (`{ type, value }` / `{ type: 'array', itemType, values }`).

import { RuminateError } from '@ruminate/errors';

/** GGUF metadata: a Map or a record from key to decoded value. */
export type GgufMetadataLike = ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>;

/** The tokenizer description carried by a GGUF file. */
export interface TokenizerSpec {
  /** `tokenizer.ggml.model`: `gpt2` (byte-level BPE) or `llama` (SentencePiece). */
  model: string;
  /** `tokenizer.ggml.pre`, when present. */
  pre: string | undefined;
  /** `tokenizer.ggml.tokens`. */
  tokens: string[];
  /** `tokenizer.ggml.scores` (SentencePiece merge priorities), when present. */
  scores: Float32Array | undefined;
  /** `tokenizer.ggml.token_type` (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte). */
  tokenTypes: Int32Array | undefined;
  /** `tokenizer.ggml.merges` ("left right" per line, rank order), when present. */
  merges: string[] | undefined;
  /** Special token ids (`tokenizer.ggml.bos_token_id`, `…unknown_token_id`, …), keyed by short name. */
  specialIds: Partial<Record<SpecialTokenName, number>>;
  /** `tokenizer.ggml.add_bos_token`, when present. */
  addBos: boolean | undefined;
  /** `tokenizer.ggml.add_eos_token`, when present. */
  addEos: boolean | undefined;
  /** `tokenizer.ggml.add_space_prefix`, when present. */
  addSpacePrefix: boolean | undefined;
  /** `tokenizer.chat_template`, when present. */
  chatTemplate: string | undefined;
}

/** Names of the special-token id keys that GGUF files carry. */
export type SpecialTokenName = 'bos' | 'eos' | 'eot' | 'eom' | 'unk' | 'sep' | 'pad' | 'mask';

/** The GGUF key of each special-token id (llama.cpp src/llama-arch.cpp; "seperator" is spelt so there). */
const SPECIAL_KEYS: Record<SpecialTokenName, string> = {
  bos: 'tokenizer.ggml.bos_token_id',
  eos: 'tokenizer.ggml.eos_token_id',
  eot: 'tokenizer.ggml.eot_token_id',
  eom: 'tokenizer.ggml.eom_token_id',
  unk: 'tokenizer.ggml.unknown_token_id',
  sep: 'tokenizer.ggml.seperator_token_id',
  pad: 'tokenizer.ggml.padding_token_id',
  mask: 'tokenizer.ggml.mask_token_id',
};

/** Unwraps a typed GGUF value (`{ type, value }` or `{ type: 'array', values }`) to its plain value. */
function plain(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || Array.isArray(v)) return v;
  const o = v as { type?: unknown; value?: unknown; values?: unknown };
  if (typeof o.type !== 'string') return v;
  if (o.type === 'array' && 'values' in o) return o.values;
  if ('value' in o) return o.value;
  return v;
}

function getter(meta: GgufMetadataLike): (key: string) => unknown {
  if (meta instanceof Map) return (k) => plain(meta.get(k));
  const rec = meta as Readonly<Record<string, unknown>>;
  return (k) => (Object.hasOwn(rec, k) ? plain(rec[k]) : undefined);
}

function invalid(key: string, what: string): RuminateError {
  return new RuminateError(
    'tokenizer-invalid',
    `GGUF metadata key "${key}" ${what}. The file's tokenizer is malformed: re-convert the model with a current llama.cpp convert script.`,
    { field: key },
  );
}

function toNumber(v: unknown, key: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw invalid(key, `should hold a number but holds ${typeof v}`);
}

function toNumbers(v: unknown, key: string): number[] | ArrayLike<number> {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const arr = v as unknown as ArrayLike<number | bigint>;
    if (arr.length > 0 && typeof arr[0] === 'bigint') return Array.from(arr, (x) => Number(x));
    return arr as ArrayLike<number>;
  }
  if (Array.isArray(v)) return v.map((x) => toNumber(x, key));
  throw invalid(key, 'should hold an array of numbers');
}

function toStrings(v: unknown, key: string): string[] {
  if (!Array.isArray(v)) throw invalid(key, 'should hold an array of strings');
  for (const s of v) if (typeof s !== 'string') throw invalid(key, 'should hold only strings');
  return v as string[];
}

function optBool(v: unknown, key: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v) !== 0;
  throw invalid(key, 'should hold a boolean');
}

/** Reads and checks the `tokenizer.*` keys; throws `tokenizer-invalid` naming the bad key. */
export function readTokenizerSpec(meta: GgufMetadataLike): TokenizerSpec {
  const get = getter(meta);
  const model = get('tokenizer.ggml.model');
  if (typeof model !== 'string') {
    throw new RuminateError(
      'tokenizer-invalid',
      'GGUF metadata has no "tokenizer.ggml.model": the file carries no tokenizer. Use a GGUF converted with its tokenizer, or pass token ids instead of text.',
      { field: 'tokenizer.ggml.model' },
    );
  }
  const tokensRaw = get('tokenizer.ggml.tokens');
  if (tokensRaw === undefined) throw invalid('tokenizer.ggml.tokens', 'is missing');
  const tokens = toStrings(tokensRaw, 'tokenizer.ggml.tokens');
  const n = tokens.length;

  const scoresRaw = get('tokenizer.ggml.scores');
  let scores: Float32Array | undefined;
  if (scoresRaw !== undefined) {
    const arr = toNumbers(scoresRaw, 'tokenizer.ggml.scores');
    if (arr.length < n) throw invalid('tokenizer.ggml.scores', `has ${arr.length} entries for ${n} tokens`);
    scores = Float32Array.from(arr);
  }
  const typesRaw = get('tokenizer.ggml.token_type');
  let tokenTypes: Int32Array | undefined;
  if (typesRaw !== undefined) {
    const arr = toNumbers(typesRaw, 'tokenizer.ggml.token_type');
    if (arr.length < n)
      throw invalid('tokenizer.ggml.token_type', `has ${arr.length} entries for ${n} tokens`);
    tokenTypes = Int32Array.from(arr);
  }
  const mergesRaw = get('tokenizer.ggml.merges');
  const merges = mergesRaw === undefined ? undefined : toStrings(mergesRaw, 'tokenizer.ggml.merges');

  const specialIds: Partial<Record<SpecialTokenName, number>> = {};
  for (const [name, key] of Object.entries(SPECIAL_KEYS) as [SpecialTokenName, string][]) {
    const v = get(key);
    if (v !== undefined) specialIds[name] = toNumber(v, key);
  }
  const pre = get('tokenizer.ggml.pre');
  if (pre !== undefined && typeof pre !== 'string')
    throw invalid('tokenizer.ggml.pre', 'should hold a string');
  const chatTemplate = get('tokenizer.chat_template');
  if (chatTemplate !== undefined && typeof chatTemplate !== 'string') {
    throw invalid('tokenizer.chat_template', 'should hold a string');
  }
  return {
    model,
    pre,
    tokens,
    scores,
    tokenTypes,
    merges,
    specialIds,
    addBos: optBool(get('tokenizer.ggml.add_bos_token'), 'tokenizer.ggml.add_bos_token'),
    addEos: optBool(get('tokenizer.ggml.add_eos_token'), 'tokenizer.ggml.add_eos_token'),
    addSpacePrefix: optBool(get('tokenizer.ggml.add_space_prefix'), 'tokenizer.ggml.add_space_prefix'),
    chatTemplate,
  };
}
