// One forward pass's inputs for several sequences of different lengths, and the split of its
// present key/values back into each sequence's past. Rows are left-padded, as transformers.js
// pads decoder-only batches: every row's real tokens end at the last slot, so a row's keys are
// always the last `tokens.length` slots of the present tensors, and `position_ids` carries each
// row's own positions.

/** A sequence's cached keys and values: per layer K then V, each [kvHeads][stride][headDim], the first `length` of `stride` slots valid. */
export interface Past {
  /** 2·layers arrays: layer 0 key, layer 0 value, layer 1 key, … */
  readonly data: readonly Float32Array[];
  /** Slots per head in each array. */
  readonly stride: number;
}

/** One row of a batched pass. */
export interface BatchRow {
  /** Every token of the sequence so far (the pass computes at least the last one). */
  tokens: readonly number[];
  /** Leading tokens whose keys and values `past` holds. */
  cached: number;
  /** The cache, absent when nothing is cached. */
  past: Past | undefined;
}

/** Shapes of the model's cache. */
export interface CacheShape {
  layers: number;
  kvHeads: number;
  headDim: number;
}

/** Plain arrays of one pass's inputs; the engine wraps them in the library's tensors. */
export interface BatchFeeds {
  /** Rows, new tokens per row (S), and total slots per row (past P + S). */
  batch: number;
  newTokens: number;
  pastSlots: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  positionIds: BigInt64Array;
  /** Per layer K then V, [batch][kvHeads][pastSlots][headDim]. */
  past: Float32Array[];
}

/**
 * Lays out `rows` for one pass: S = the most uncached tokens of any row, each row's last
 * min(S, length) tokens computed (a row with fewer uncached tokens recomputes a few cached ones,
 * which gives the same keys), the rest read from its past, padding on the left.
 */
export function layoutBatch(rows: readonly BatchRow[], shape: CacheShape): BatchFeeds {
  const batch = rows.length;
  const newTokens = Math.max(...rows.map((r) => r.tokens.length - r.cached));
  const pastSlots = Math.max(...rows.map((r) => Math.max(0, r.tokens.length - newTokens)));
  const total = pastSlots + newTokens;
  const inputIds = new BigInt64Array(batch * newTokens);
  const positionIds = new BigInt64Array(batch * newTokens);
  const attentionMask = new BigInt64Array(batch * total);
  const { layers, kvHeads, headDim } = shape;
  const past = Array.from(
    { length: 2 * layers },
    () => new Float32Array(batch * kvHeads * pastSlots * headDim),
  );
  rows.forEach((row, b) => {
    const n = row.tokens.length;
    const computed = Math.min(newTokens, n);
    const fromPast = n - computed;
    attentionMask.fill(1n, b * total + total - n, (b + 1) * total);
    for (let i = 0; i < computed; i++) {
      const slot = b * newTokens + newTokens - computed + i;
      inputIds[slot] = BigInt(row.tokens[fromPast + i] as number);
      positionIds[slot] = BigInt(fromPast + i);
    }
    if (fromPast === 0 || !row.past) return;
    for (let a = 0; a < 2 * layers; a++) {
      const src = row.past.data[a] as Float32Array;
      const dst = past[a] as Float32Array;
      for (let h = 0; h < kvHeads; h++) {
        const from = h * row.past.stride * headDim;
        const to = ((b * kvHeads + h) * pastSlots + pastSlots - fromPast) * headDim;
        dst.set(src.subarray(from, from + fromPast * headDim), to);
      }
    }
  });
  return { batch, newTokens, pastSlots, inputIds, attentionMask, positionIds, past };
}

/** Row `b`'s past after the pass: the last `length` slots of each present array ([batch][kvHeads][slots][headDim]). */
export function splitPresent(
  present: readonly Float32Array[],
  b: number,
  length: number,
  slots: number,
  shape: CacheShape,
): Past {
  const { kvHeads, headDim } = shape;
  const data = present.map((p) => {
    const out = new Float32Array(kvHeads * length * headDim);
    for (let h = 0; h < kvHeads; h++) {
      const from = ((b * kvHeads + h) * slots + slots - length) * headDim;
      out.set(p.subarray(from, from + length * headDim), h * length * headDim);
    }
    return out;
  });
  return { data, stride: length };
}
