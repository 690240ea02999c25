import { isRuminateError } from '@ruminate/errors';
import { freshSeed, seededRandom } from '@ruminate/gpu/testing';
import { describe, expect, it } from 'vitest';
import { PagePool } from '../src/kv/page-pool.ts';
import { PagedKvCache } from '../src/kv/paged-kv-cache.ts';

const P = 16;
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

/** Simulates a step: reserve and commit every pending token of `seq`, returning the copies. */
function prefill(kv: PagedKvCache, seq: number) {
  const n = kv.tokens(seq).length;
  const copies = kv.reserve(seq, n);
  kv.commit(seq, n);
  return copies;
}

function cache(numPages = 64, retainFreed = false) {
  return new PagedKvCache({ numPages, pageTokens: P, numSlots: 32, contextLength: 256, retainFreed });
}

describe('PagePool', () => {
  it('hands out each page once and takes it back when the last reference goes', () => {
    const pool = new PagePool(3);
    const a = pool.tryAllocate()!;
    const b = pool.tryAllocate()!;
    const c = pool.tryAllocate()!;
    expect(new Set([a, b, c]).size).toBe(3);
    expect(pool.tryAllocate()).toBeUndefined();
    pool.retain(b);
    pool.release(b);
    expect(pool.free).toBe(0);
    pool.release(b);
    expect(pool.free).toBe(1);
    expect(pool.tryAllocate()).toBe(b);
    expect(() => pool.release(99)).toThrow(/not in use/);
  });
});

describe('PagedKvCache', () => {
  it('allocates pages as a sequence grows and writes them into its block-table row', () => {
    const kv = cache();
    const { seq, reused } = kv.create(range(40));
    expect(reused).toBe(0);
    expect(prefill(kv, seq)).toEqual([]);
    expect(kv.pages(seq)).toHaveLength(3);
    expect(kv.pagesUsed).toBe(3);
    const row = kv.blockTable.subarray(kv.slot(seq) * kv.maxPagesPerSeq);
    expect([...row.subarray(0, 3)]).toEqual([...kv.pages(seq)]);
    expect(kv.takeDirtySlots()).toEqual([kv.slot(seq)]);
    expect(kv.takeDirtySlots()).toEqual([]);
  });

  it('stores a prompt once for N forks and copies only the shared partial page on first write', () => {
    const kv = cache();
    const prompt = range(37); // two full pages + 5 tokens
    const { seq } = kv.create(prompt);
    prefill(kv, seq);
    const forks = kv.fork(seq, 15);
    const all = [seq, ...forks];
    expect(kv.pagesUsed).toBe(3); // 16 sequences, the prompt stored once
    for (const p of kv.pages(seq)) expect(kv.refCount(p)).toBe(16);

    // Each sequence samples a different token and computes it.
    const copies = all.map((s, i) => {
      kv.append(s, [1000 + i]);
      return prefill(kv, s);
    });
    // The first 15 writers copy the shared partial page; the last one owns it alone by then.
    for (let i = 0; i < 15; i++) {
      expect(copies[i]).toHaveLength(1);
      expect(copies[i]![0]!.src).toBe(kv.pages(all[15]!)[2]);
    }
    expect(copies[15]).toEqual([]);
    expect(kv.pagesUsed).toBe(2 + 16); // full pages shared, one private last page each
    for (const s of all) {
      expect(kv.pages(s).slice(0, 2)).toEqual(kv.pages(seq).slice(0, 2));
      expect(kv.refCount(kv.pages(s)[2]!)).toBe(1);
    }
    // Freeing everything returns every page to the pool.
    for (const s of all) kv.free(s);
    expect(kv.pagesUsed).toBe(0);
    expect(kv.pagesFree).toBe(64);
    expect(kv.sequences).toBe(0);
  });

  it('does not copy a page when forking at a page boundary', () => {
    const kv = cache();
    const { seq } = kv.create(range(32));
    prefill(kv, seq);
    const [f] = kv.fork(seq, 1);
    kv.append(f!, [7]);
    expect(prefill(kv, f!)).toEqual([]);
    expect(kv.pages(f!).slice(0, 2)).toEqual(kv.pages(seq).slice(0, 2));
    expect(kv.pagesUsed).toBe(3);
  });

  it('truncates: pages past the new length go back, the last kept token is recomputed', () => {
    const kv = cache();
    const { seq } = kv.create(range(50));
    prefill(kv, seq);
    expect(kv.pagesUsed).toBe(4);
    kv.truncate(seq, 17);
    expect(kv.tokens(seq)).toEqual(range(17));
    expect(kv.cachedLength(seq)).toBe(16);
    expect(kv.pagesUsed).toBe(1);
    // Truncating into a page shared with a fork makes the next write copy it.
    const [f] = kv.fork(seq, 1);
    kv.truncate(f!, 10);
    const copies = kv.reserve(f!, 10);
    expect(copies).toEqual([{ src: kv.pages(seq)[0], dst: kv.pages(f!)[0] }]);
    expect(() => kv.truncate(seq, 0)).toThrow(/1\.\.17/);
  });

  it('reuses the longest cached prefix of a live sequence and prefills only the rest', () => {
    const kv = cache();
    const turn1 = range(45, 100);
    const { seq: a } = kv.create(turn1);
    prefill(kv, a);
    const turn2 = [...turn1, 1, 2, 3, 4];
    const { seq: b, reused } = kv.create(turn2);
    expect(reused).toBe(45);
    expect(kv.cachedLength(b)).toBe(45);
    expect(kv.pages(b)).toEqual(kv.pages(a));
    const copies = prefill(kv, b);
    expect(copies).toEqual([{ src: kv.pages(a)[2], dst: kv.pages(b)[2] }]);
    // An identical prompt still leaves its last token to compute (to get logits).
    const { reused: again } = kv.create(turn1);
    expect(again).toBe(44);
    // A diverging prompt shares only the common part.
    const { reused: part } = kv.create([...turn1.slice(0, 20), 9999]);
    expect(part).toBe(20);
  });

  it('keeps a freed sequence for prefix reuse and evicts it when pages run out', () => {
    const kv = cache(8, true);
    const { seq: a } = kv.create(range(40));
    prefill(kv, a);
    kv.free(a);
    expect(kv.pagesUsed).toBe(0);
    expect(kv.pagesCached).toBe(3);
    expect(kv.pagesFree).toBe(8);
    const { seq: b, reused } = kv.create([...range(40), 5]);
    expect(reused).toBe(40);
    prefill(kv, b);
    kv.free(b);
    // A new unrelated sequence that needs the whole pool evicts the retained prefixes.
    const { seq: c } = kv.create(range(128, 5000));
    prefill(kv, c);
    expect(kv.pagesUsed).toBe(8);
    expect(kv.pagesCached).toBe(0);
    kv.free(c);
    kv.dropRetained();
    expect(kv.pagesFree).toBe(8);
    expect(kv.pagesCached).toBe(0);
  });

  it('gives typed errors for context overflow, a full pool, full slots and unknown sequences', () => {
    const kv = new PagedKvCache({
      numPages: 4,
      pageTokens: P,
      numSlots: 2,
      contextLength: 48,
      retainFreed: false,
    });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isRuminateError(e) ? e.code : String(e);
      }
      return 'no error';
    };
    expect(code(() => kv.create(range(49)))).toBe('context-overflow');
    const { seq } = kv.create(range(48));
    expect(code(() => kv.append(seq, [1]))).toBe('context-overflow');
    prefill(kv, seq);
    const { seq: s2 } = kv.create(range(30, 900));
    expect(code(() => kv.reserve(s2, 30))).toBe('kv-cache-full');
    expect(code(() => kv.fork(seq, 1))).toBe('kv-cache-full');
    kv.free(seq);
    expect(code(() => kv.tokens(seq))).toBe('unknown-sequence');
    expect(code(() => kv.create([]))).toBe('invalid-argument');
  });

  it('keeps reference counts consistent under random fork/append/truncate/free', () => {
    const seed = freshSeed();
    const rand = seededRandom(seed);
    const kv = new PagedKvCache({ numPages: 400, pageTokens: P, numSlots: 24, contextLength: 200 });
    const live: number[] = [];
    const pick = () => live[Math.floor(rand() * live.length)]!;
    for (let it = 0; it < 600; it++) {
      const r = rand();
      try {
        if (live.length === 0 || r < 0.15) {
          const src = live.length > 0 && rand() < 0.5 ? kv.tokens(pick()) : [];
          const prompt = [
            ...src.slice(0, Math.floor(rand() * src.length)),
            ...range(1 + Math.floor(rand() * 30)),
          ];
          live.push(kv.create(prompt.slice(0, 200)).seq);
        } else if (r < 0.3) live.push(...kv.fork(pick(), 1 + Math.floor(rand() * 3)));
        else if (r < 0.6) {
          const s = pick();
          kv.append(s, range(1 + Math.floor(rand() * 20)));
          prefill(kv, s);
        } else if (r < 0.75) {
          const s = pick();
          kv.truncate(s, 1 + Math.floor(rand() * kv.tokens(s).length));
        } else {
          const s = live.splice(Math.floor(rand() * live.length), 1)[0]!;
          kv.free(s);
        }
      } catch (e) {
        if (!isRuminateError(e, 'context-overflow') && !isRuminateError(e, 'kv-cache-full')) throw e;
      }
      // Every page's count equals the number of live + retained holders.
      const holders = new Map<number, number>();
      for (const s of live) for (const p of kv.pages(s)) holders.set(p, (holders.get(p) ?? 0) + 1);
      for (const [p, n] of holders) {
        if (kv.refCount(p) < n)
          throw new Error(`seed ${seed}: page ${p} has ${kv.refCount(p)} refs < ${n} holders`);
      }
      expect(kv.pagesUsed, `seed ${seed}`).toBe(holders.size);
    }
    for (const s of live) kv.free(s);
    kv.dropRetained();
    expect(kv.pagesFree, `seed ${seed}`).toBe(400);
  });
});
