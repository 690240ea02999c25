// Paged KV-cache bookkeeping on the CPU: which pages each sequence owns, its row of the
// block table the attention kernel reads, copy-on-write forks, rollback, and reuse of a
// cached prefix by a new sequence. The GPU pools themselves live in the model; this class
// only says which page to write and which pages to copy first (vLLM's block manager and
// SGLang's prefix reuse, re-derived for one-token steps).
import { RuminateError } from '@ruminate/errors';
import type { SeqId } from '../engine/types.ts';
import { PagePool } from './page-pool.ts';

/** Sizes of a paged KV cache. */
export interface PagedKvCacheOptions {
  /** Pages in the pool. */
  numPages: number;
  /** Tokens per page (16 in the agreed GPU layout). */
  pageTokens: number;
  /** Largest number of live sequences (rows of the block table). */
  numSlots: number;
  /** Longest sequence, in tokens. */
  contextLength: number;
  /** Keep freed sequences' pages for prefix reuse until the pool needs them (default true). */
  retainFreed?: boolean;
}

/** Copy one page's contents to another before the destination is written (copy-on-write). */
export interface PageCopy {
  /** Page read. */
  src: number;
  /** Page written. */
  dst: number;
}

interface Sequence {
  /** Every token of the sequence, including ones whose KV is not computed yet. */
  tokens: number[];
  /** Tokens whose K and V are in the pages: positions 0..cached-1. */
  cached: number;
  /** Page of each block of `pageTokens` positions. */
  pages: number[];
  /** Row of the block table, for live sequences. */
  slot: number;
}

/** A freed sequence whose computed prefix stays in the cache until the pool needs the pages. */
interface Retired {
  tokens: number[];
  cached: number;
  pages: number[];
}

/** Paged KV allocator: page pool, block table per slot, fork, truncate, free, prefix reuse. */
export class PagedKvCache {
  /** Tokens per page. */
  readonly pageTokens: number;
  /** Block-table rows. */
  readonly numSlots: number;
  /** Longest sequence, in tokens. */
  readonly contextLength: number;
  /** Block-table columns: pages one sequence can hold. */
  readonly maxPagesPerSeq: number;
  /** `u32 [numSlots][maxPagesPerSeq]`: page ids per slot, the layout the attention op reads. */
  readonly blockTable: Uint32Array;
  private readonly pool: PagePool;
  private readonly retainFreed: boolean;
  private readonly seqs = new Map<SeqId, Sequence>();
  private readonly freeSlots: number[];
  private readonly dirtySlots = new Set<number>();
  /** Oldest first; evicted from the front when pages run out. */
  private retired: Retired[] = [];
  private nextId: SeqId = 1;

  constructor(opts: PagedKvCacheOptions) {
    this.pool = new PagePool(opts.numPages);
    this.pageTokens = opts.pageTokens;
    this.numSlots = opts.numSlots;
    this.contextLength = opts.contextLength;
    this.maxPagesPerSeq = Math.ceil(opts.contextLength / opts.pageTokens);
    this.blockTable = new Uint32Array(this.numSlots * this.maxPagesPerSeq);
    this.freeSlots = Array.from({ length: this.numSlots }, (_, i) => this.numSlots - 1 - i);
    this.retainFreed = opts.retainFreed ?? true;
  }

  /** Pages in the pool. */
  get numPages(): number {
    return this.pool.numPages;
  }

  /** Live sequences. */
  get sequences(): number {
    return this.seqs.size;
  }

  /** Pages referenced by live sequences. */
  get pagesUsed(): number {
    return this.pool.used - this.pagesCached;
  }

  /** Pages held only by freed sequences kept for prefix reuse (reclaimed on demand). */
  get pagesCached(): number {
    const live = new Set<number>();
    for (const s of this.seqs.values()) for (const p of s.pages) live.add(p);
    const cached = new Set<number>();
    for (const r of this.retired) for (const p of r.pages) if (!live.has(p)) cached.add(p);
    return cached.size;
  }

  /** Pages no live sequence references (free or reclaimable). */
  get pagesFree(): number {
    return this.pool.numPages - this.pagesUsed;
  }

  /**
   * A new sequence holding `prompt`. Its longest prefix whose KV is already computed in a
   * live or retained sequence is shared (no prefill for it); at least the last prompt token
   * is left to compute so the next step has logits to sample from.
   */
  create(prompt: readonly number[]): { seq: SeqId; reused: number } {
    if (prompt.length === 0) {
      throw new RuminateError('invalid-argument', 'A sequence needs at least one prompt token (e.g. BOS).', {
        field: 'prompt',
      });
    }
    this.checkLength(prompt.length);
    const slot = this.takeSlot();
    const donor = this.longestCachedPrefix(prompt);
    const shared = Math.min(donor.length, prompt.length - 1);
    const pages = donor.pages.slice(0, Math.ceil(shared / this.pageTokens));
    for (const p of pages) this.pool.retain(p);
    const seq = this.nextId++;
    this.seqs.set(seq, { tokens: [...prompt], cached: shared, pages, slot });
    this.writeRow(seq);
    return { seq, reused: shared };
  }

  /** `count` new sequences sharing every page of `seq` (copy-on-write). */
  fork(seq: SeqId, count: number): SeqId[] {
    const s = this.get(seq);
    if (!Number.isInteger(count) || count < 0) {
      throw new RuminateError(
        'invalid-argument',
        `fork count must be a non-negative integer, got ${count}.`,
        {
          field: 'count',
        },
      );
    }
    if (count > this.freeSlots.length) {
      throw new RuminateError(
        'kv-cache-full',
        `Cannot fork ${count} sequences: only ${this.freeSlots.length} of ${this.numSlots} sequence slots are free. ` +
          'Free finished sequences first, or load with more slots.',
      );
    }
    const ids: SeqId[] = [];
    for (let i = 0; i < count; i++) {
      for (const p of s.pages) this.pool.retain(p);
      const id = this.nextId++;
      this.seqs.set(id, {
        tokens: [...s.tokens],
        cached: s.cached,
        pages: [...s.pages],
        slot: this.takeSlot(),
      });
      this.writeRow(id);
      ids.push(id);
    }
    return ids;
  }

  /** Rolls `seq` back to its first `length` tokens; pages past them return to the pool. */
  truncate(seq: SeqId, length: number): void {
    const s = this.get(seq);
    if (!Number.isInteger(length) || length < 1 || length > s.tokens.length) {
      throw new RuminateError(
        'invalid-argument',
        `Cannot truncate a ${s.tokens.length}-token sequence to ${length}: give a length in 1..${s.tokens.length}.`,
        { field: 'length' },
      );
    }
    s.tokens.length = length;
    // The last token is recomputed by the next step so that it yields logits.
    s.cached = Math.min(s.cached, length - 1);
    this.dropPagesBeyond(s, Math.ceil(s.cached / this.pageTokens));
    this.writeRow(seq);
  }

  /** Appends tokens (computed by the next step). */
  append(seq: SeqId, tokens: readonly number[]): void {
    const s = this.get(seq);
    this.checkLength(s.tokens.length + tokens.length);
    s.tokens.push(...tokens);
  }

  /** Releases a sequence; with `retainFreed` its computed prefix stays reusable until evicted. */
  free(seq: SeqId): void {
    const s = this.get(seq);
    this.seqs.delete(seq);
    this.freeSlots.push(s.slot);
    const keep = Math.ceil(s.cached / this.pageTokens);
    if (this.retainFreed && s.cached > 0) {
      this.dropPagesBeyond(s, keep);
      this.retired.push({ tokens: s.tokens.slice(0, s.cached), cached: s.cached, pages: s.pages });
    } else {
      for (const p of s.pages) this.pool.release(p);
    }
  }

  /** Releases every retained prefix (their pages return to the pool). */
  dropRetained(): void {
    for (const r of this.retired) for (const p of r.pages) this.pool.release(p);
    this.retired = [];
  }

  /** Tokens of a sequence. */
  tokens(seq: SeqId): readonly number[] {
    return this.get(seq).tokens;
  }

  /** Tokens whose KV is computed. */
  cachedLength(seq: SeqId): number {
    return this.get(seq).cached;
  }

  /** Block-table row of a live sequence. */
  slot(seq: SeqId): number {
    return this.get(seq).slot;
  }

  /** Whether `seq` is live. */
  has(seq: SeqId): boolean {
    return this.seqs.has(seq);
  }

  /** Pages of a sequence, block by block (for tests and diagnostics). */
  pages(seq: SeqId): readonly number[] {
    return this.get(seq).pages;
  }

  /** References on a page (for tests and diagnostics). */
  refCount(page: number): number {
    return this.pool.refCount(page);
  }

  /**
   * Makes positions `cached..upto-1` of `seq` writable: allocates missing pages and gives the
   * sequence its own copy of any shared page in that range. Returns the copies the GPU must do
   * before the writes (in order). Throws `context-overflow` past the context length and
   * `kv-cache-full` when the pool is exhausted even after evicting retained prefixes.
   */
  reserve(seq: SeqId, upto: number): PageCopy[] {
    const s = this.get(seq);
    this.checkLength(upto);
    const copies: PageCopy[] = [];
    if (upto <= s.cached) return copies;
    const first = Math.floor(s.cached / this.pageTokens);
    const last = Math.floor((upto - 1) / this.pageTokens);
    for (let b = first; b <= last; b++) {
      const page = s.pages[b];
      if (page === undefined) {
        s.pages.push(this.allocate());
      } else if (this.pool.refCount(page) > 1) {
        const own = this.allocate();
        // Only a page holding computed positions needs its contents copied.
        if (b * this.pageTokens < s.cached) copies.push({ src: page, dst: own });
        this.pool.release(page);
        s.pages[b] = own;
      }
    }
    this.writeRow(seq);
    return copies;
  }

  /** Records that positions up to `upto` of `seq` now hold computed KV. */
  commit(seq: SeqId, upto: number): void {
    const s = this.get(seq);
    if (upto > s.tokens.length || upto > s.pages.length * this.pageTokens) {
      throw new RuminateError('internal', `KV commit past the reserved range of sequence ${seq}.`);
    }
    s.cached = Math.max(s.cached, upto);
  }

  /** Slots whose block-table row changed since the last call (to upload before a step). */
  takeDirtySlots(): number[] {
    const out = [...this.dirtySlots].sort((a, b) => a - b);
    this.dirtySlots.clear();
    return out;
  }

  private get(seq: SeqId): Sequence {
    const s = this.seqs.get(seq);
    if (!s) {
      throw new RuminateError(
        'unknown-sequence',
        `Sequence ${seq} does not exist (freed or never created).`,
        {
          field: 'seq',
        },
      );
    }
    return s;
  }

  private checkLength(length: number): void {
    if (length > this.contextLength) {
      throw new RuminateError(
        'context-overflow',
        `A sequence of ${length} tokens exceeds the ${this.contextLength}-token context. Truncate or free ` +
          'older tokens, or load the model with a longer contextLength.',
      );
    }
  }

  private takeSlot(): number {
    const slot = this.freeSlots.pop();
    if (slot === undefined) {
      throw new RuminateError(
        'kv-cache-full',
        `All ${this.numSlots} sequence slots are in use. Free finished sequences, or load with more slots.`,
      );
    }
    return slot;
  }

  private allocate(): number {
    for (;;) {
      const page = this.pool.tryAllocate();
      if (page !== undefined) return page;
      const victim = this.retired.shift();
      if (!victim) {
        throw new RuminateError(
          'kv-cache-full',
          `The KV cache is full (${this.pool.numPages} pages of ${this.pageTokens} tokens, all in use). Free or ` +
            'truncate sequences, or load with more kvPages.',
        );
      }
      for (const p of victim.pages) this.pool.release(p);
    }
  }

  private dropPagesBeyond(s: { pages: number[] }, keep: number): void {
    for (const p of s.pages.splice(keep)) this.pool.release(p);
  }

  private writeRow(seq: SeqId): void {
    const s = this.get(seq);
    const row = this.blockTable.subarray(s.slot * this.maxPagesPerSeq, (s.slot + 1) * this.maxPagesPerSeq);
    row.fill(0);
    row.set(s.pages.slice(0, this.maxPagesPerSeq));
    this.dirtySlots.add(s.slot);
  }

  /** The live or retained sequence sharing the longest computed prefix with `prompt`. */
  private longestCachedPrefix(prompt: readonly number[]): { length: number; pages: number[] } {
    let best = { length: 0, pages: [] as number[] };
    let bestRetired = -1;
    const consider = (tokens: readonly number[], cached: number, pages: number[], retiredIndex: number) => {
      const n = Math.min(cached, prompt.length);
      let i = 0;
      while (i < n && tokens[i] === prompt[i]) i++;
      if (i > best.length) {
        best = { length: i, pages };
        bestRetired = retiredIndex;
      }
    };
    for (const s of this.seqs.values()) consider(s.tokens, s.cached, s.pages, -1);
    for (const [i, r] of this.retired.entries()) consider(r.tokens, r.cached, r.pages, i);
    // A reused retained prefix becomes the most recently used.
    if (bestRetired >= 0) {
      const [r] = this.retired.splice(bestRetired, 1);
      if (r) this.retired.push(r);
    }
    return best;
  }
}
