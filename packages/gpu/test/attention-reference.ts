// Paged-KV fixtures and the float64 attention reference shared by the attention tests.
import { kvPoolIndex, PAGE_TOKENS } from '../src/ops/attention/paged-kv-layout.ts';
import { randomF32 } from '../src/testing/index.ts';

/** One sequence of a paged fixture. */
export interface FixtureSeq {
  /** Block-table row. */
  slot: number;
  /** Physical page of each logical page. */
  pages: number[];
  /** `[length][nKv*headDim]` keys and values. */
  k: Float32Array;
  v: Float32Array;
  length: number;
}

/** A paged KV cache holding several sequences on shuffled pages. */
export interface PagedFixture {
  nKv: number;
  headDim: number;
  numPages: number;
  numSlots: number;
  maxPages: number;
  blockTable: Uint32Array;
  /** Pools with every unused element NaN, so a wrong page read poisons the result. */
  kPool: Float32Array;
  vPool: Float32Array;
  seqs: FixtureSeq[];
}

/** Fisher–Yates shuffle of 0..n-1. */
export function permutation(n: number, rand: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j] as number, p[i] as number];
  }
  return p;
}

/**
 * Sequences of the given lengths on randomly shuffled physical pages and slots; block-table
 * entries past a sequence's pages point at other sequences' pages (must never be read).
 */
export function pagedFixture(
  rand: () => number,
  shape: { nKv: number; headDim: number; maxPages: number },
  lengths: number[],
  fill = true,
): PagedFixture {
  const { nKv, headDim, maxPages } = shape;
  const width = nKv * headDim;
  const needed = lengths.map((l) => Math.ceil(l / PAGE_TOKENS));
  const numPages = needed.reduce((a, b) => a + b, 0) + 3;
  const numSlots = lengths.length + 2;
  const pageOrder = permutation(numPages, rand);
  const slotOrder = permutation(numSlots, rand);
  const blockTable = new Uint32Array(numSlots * maxPages).map(() => Math.floor(rand() * numPages));
  const kPool = new Float32Array(numPages * PAGE_TOKENS * width).fill(Number.NaN);
  const vPool = new Float32Array(numPages * PAGE_TOKENS * width).fill(Number.NaN);
  let next = 0;
  const seqs = lengths.map((length, s) => {
    const slot = slotOrder[s] as number;
    const pages = Array.from({ length: needed[s] as number }, () => pageOrder[next++] as number);
    pages.forEach((p, i) => {
      blockTable[slot * maxPages + i] = p;
    });
    const k = randomF32(length * width, rand);
    const v = randomF32(length * width, rand);
    if (fill) {
      for (let t = 0; t < length; t++) {
        const page = pages[Math.floor(t / PAGE_TOKENS)] as number;
        for (let e = 0; e < width; e++) {
          const at = kvPoolIndex(page, t % PAGE_TOKENS, 0, e, nKv, headDim);
          kPool[at] = k[t * width + e] as number;
          vPool[at] = v[t * width + e] as number;
        }
      }
    }
    return { slot, pages, k, v, length };
  });
  return { nKv, headDim, numPages, numSlots, maxPages, blockTable, kPool, vPool, seqs };
}

/** float64 causal GQA attention of one query row at `pos` of `seq` (keys 0..pos). */
export function refAttentionRow(
  seq: { k: Float32Array; v: Float32Array },
  pos: number,
  q: ArrayLike<number>,
  qBase: number,
  nHeads: number,
  nKv: number,
  headDim: number,
  scale: number,
  /** Soft-cap c (scores c·tanh(s/c)) and sliding window (keys pos − window + 1 … pos); 0: none. */
  opts: { softcap?: number; window?: number } = {},
): Float64Array {
  const out = new Float64Array(nHeads * headDim);
  const group = nHeads / nKv;
  const width = nKv * headDim;
  const cap = opts.softcap ?? 0;
  const first = opts.window ? Math.max(0, pos + 1 - opts.window) : 0;
  for (let h = 0; h < nHeads; h++) {
    const kvh = Math.floor(h / group);
    const scores = new Float64Array(pos + 1);
    let max = Number.NEGATIVE_INFINITY;
    for (let j = first; j <= pos; j++) {
      let dot = 0;
      for (let d = 0; d < headDim; d++)
        dot += (q[qBase + h * headDim + d] as number) * (seq.k[j * width + kvh * headDim + d] as number);
      const sc = cap > 0 ? cap * Math.tanh((dot * scale) / cap) : dot * scale;
      scores[j] = sc;
      max = Math.max(max, sc);
    }
    let sum = 0;
    for (let j = first; j <= pos; j++) {
      scores[j] = Math.exp((scores[j] as number) - max);
      sum += scores[j] as number;
    }
    for (let d = 0; d < headDim; d++) {
      let acc = 0;
      for (let j = first; j <= pos; j++)
        acc += (scores[j] as number) * (seq.v[j * width + kvh * headDim + d] as number);
      out[h * headDim + d] = acc / sum;
    }
  }
  return out;
}
