// KV write and paged attention against float64 references: a prefill chunk of 5 rows crossing a
// page boundary and 2 decode rows of other sequences in one call, pages scattered in the pool,
// GQA (3 q heads over 1 kv head, and 4 over 2), head dims 8, 6 (not a multiple of 4) and 64,
// sliding windows of 5 and 20 keys (starting inside a page, across page boundaries), another
// score scale and a soft-cap, 1–3 threads, outputs and unused pool pages poisoned (NaN) first.
import { describe, expect, it } from 'vitest';
import { ModuleBuilder } from '../src/encoder/index.ts';
import { emitKvWrite } from '../src/kernels/attention/kv-write.ts';
import { emitPagedAttention } from '../src/kernels/attention/paged-attention.ts';
import { PAGE_TOKENS } from '../src/kernels/attention/paged-kv.ts';
import { KernelHarness } from '../src/testing/kernel-harness.ts';

// Tolerance: |got − want| ≤ 2e-6 absolute (outputs are convex combinations of values in
// [−1, 1]; f32 scores of |s| ≲ 10, exp within 1.3e-7 relative, f32 accumulation of ≤ 40 keys).
const TOL = 2e-6;

const rand = (n: number, scale = 1) =>
  Float32Array.from({ length: n }, () => scale * (Math.random() * 2 - 1));

interface Shape {
  nHeads: number;
  nKv: number;
  headDim: number;
  /** Score scale (default 1/√headDim). */
  scale?: number;
  /** Soft-cap c: scores c·tanh(s/c). */
  softcap?: number;
  /** Sliding window: keys pos − window + 1 … pos. */
  window?: number;
}

/** Rows: slot 0 prefills positions 13..17 (crossing page 0 → 1); slot 2 decodes at 33, slot 1 at 0. */
const ROWS: [slot: number, pos: number][] = [
  [0, 13],
  [0, 14],
  [0, 15],
  [0, 16],
  [0, 17],
  [2, 33],
  [1, 0],
];
const MAX_PAGES = 3;
const NUM_PAGES = 10;
/** Block table u32 [3 slots][3]: pages out of order, unused entries point past the pool. */
const BLOCK_TABLE = Uint32Array.from([7, 2, 99, 4, 99, 99, 0, 9, 5]);

/** Float64 causal GQA attention of one row over `keys` (as the reference forward pass computes it). */
function refAttention(q: Float32Array, keys: Float32Array[], values: Float32Array[], s: Shape): Float64Array {
  const group = s.nHeads / s.nKv;
  const hd = s.headDim;
  const o = new Float64Array(s.nHeads * hd);
  const scale = s.scale ?? 1 / Math.sqrt(hd);
  const cap = (x: number) => (s.softcap ? s.softcap * Math.tanh(x / s.softcap) : x);
  for (let h = 0; h < s.nHeads; h++) {
    const kvh = Math.floor(h / group);
    const scores = keys.map((k) => {
      let dot = 0;
      for (let i = 0; i < hd; i++) dot += (q[h * hd + i] as number) * (k[kvh * hd + i] as number);
      return cap(dot * scale);
    });
    const mx = Math.max(...scores);
    const ex = scores.map((x) => Math.exp(x - mx));
    const sum = ex.reduce((a, b) => a + b, 0);
    for (let t = 0; t < keys.length; t++) {
      const v = values[t] as Float32Array;
      for (let i = 0; i < hd; i++) {
        o[h * hd + i] = (o[h * hd + i] as number) + ((ex[t] as number) / sum) * (v[kvh * hd + i] as number);
      }
    }
  }
  return o;
}

async function setup(s: Shape) {
  const mod = new ModuleBuilder().importMemory({ initial: 8 });
  const write = emitKvWrite(mod, { nKvHeads: s.nKv, headDim: s.headDim });
  const attn = emitPagedAttention(mod, {
    nHeads: s.nHeads,
    nKvHeads: s.nKv,
    headDim: s.headDim,
    ...(s.scale ? { scale: s.scale } : {}),
    ...(s.softcap ? { softcap: s.softcap } : {}),
    ...(s.window ? { window: s.window } : {}),
  });
  const h = await KernelHarness.create(mod, 8);
  return { h, write, attn };
}

describe('kv write + paged attention', () => {
  for (const shape of [
    { nHeads: 3, nKv: 1, headDim: 8 },
    { nHeads: 4, nKv: 2, headDim: 6 },
    { nHeads: 2, nKv: 2, headDim: 64 },
    { nHeads: 4, nKv: 2, headDim: 6, window: 5, softcap: 2, scale: 0.7 },
    { nHeads: 3, nKv: 1, headDim: 8, window: 20 },
  ] as Shape[]) {
    const extra = shape.window
      ? `, window ${shape.window}${shape.softcap ? `, soft-cap ${shape.softcap}` : ''}`
      : '';
    it(`prefill chunk + decode rows, ${shape.nHeads} heads over ${shape.nKv}, head dim ${shape.headDim}${extra}`, async () => {
      const { nHeads, nKv, headDim } = shape;
      const nq = nHeads * headDim;
      const nk = nKv * headDim;
      const ldy = nq + 2 * nk + 1; // fused qkv rows: q at 0, k at nq, v at nq + nk
      const ldo = nq + 2;
      // Every slot's earlier keys (positions below the rows' own), as a previous pass left them.
      const history = new Map<number, { k: Float32Array; v: Float32Array }[]>();
      for (const slot of [0, 1, 2])
        history.set(
          slot,
          Array.from({ length: 34 }, () => ({ k: rand(nk, 2), v: rand(nk) })),
        );
      const ys = rand(ROWS.length * ldy, 2);
      ROWS.forEach(([slot, pos], r) => {
        const entry = (history.get(slot) as { k: Float32Array; v: Float32Array }[])[pos] as {
          k: Float32Array;
          v: Float32Array;
        };
        entry.k = ys.slice(r * ldy + nq, r * ldy + nq + nk);
        entry.v = ys.slice(r * ldy + nq + nk, r * ldy + nq + 2 * nk);
      });
      const poolFloats = NUM_PAGES * PAGE_TOKENS * nk;
      for (const threads of [1, 2, 3]) {
        const { h, write, attn } = await setup(shape);
        const kPool = h.alloc(poolFloats * 4);
        const vPool = h.alloc(poolFloats * 4);
        const kp = h.f32(kPool, poolFloats);
        const vp = h.f32(vPool, poolFloats);
        // Earlier positions of each slot (those before its first row here).
        const first = new Map<number, number>();
        for (const [slot, pos] of ROWS) first.set(slot, Math.min(first.get(slot) ?? pos, pos));
        for (const [slot, upto] of first) {
          for (let t = 0; t < upto; t++) {
            const page = BLOCK_TABLE[slot * MAX_PAGES + Math.floor(t / PAGE_TOKENS)] as number;
            const at = (page * PAGE_TOKENS + (t % PAGE_TOKENS)) * nk;
            const e = (history.get(slot) as { k: Float32Array; v: Float32Array }[])[t] as {
              k: Float32Array;
              v: Float32Array;
            };
            kp.set(e.k, at);
            vp.set(e.v, at);
          }
        }
        const y = h.put(ys);
        const info = h.put(Uint32Array.from(ROWS.flat()));
        const bt = h.put(BLOCK_TABLE);
        expect(write.args).toEqual([
          'k',
          'v',
          'ldk',
          'ldv',
          'rowInfo',
          'blockTable',
          'maxPages',
          'numPages',
          'kPool',
          'vPool',
          'rows',
        ]);
        h.run(
          write.name,
          [
            y + 4 * nq,
            y + 4 * (nq + nk),
            ldy,
            ldy,
            info,
            bt,
            MAX_PAGES,
            NUM_PAGES,
            kPool,
            vPool,
            ROWS.length,
          ],
          threads,
        );
        // The written rows are where the layout says.
        ROWS.forEach(([slot, pos]) => {
          const page = BLOCK_TABLE[slot * MAX_PAGES + Math.floor(pos / PAGE_TOKENS)] as number;
          const at = (page * PAGE_TOKENS + (pos % PAGE_TOKENS)) * nk;
          const e = (history.get(slot) as { k: Float32Array; v: Float32Array }[])[pos] as {
            k: Float32Array;
            v: Float32Array;
          };
          expect(Array.from(kp.subarray(at, at + nk))).toEqual(Array.from(e.k));
          expect(Array.from(vp.subarray(at, at + nk))).toEqual(Array.from(e.v));
        });
        const out = h.alloc(ROWS.length * ldo * 4);
        expect(attn.args).toEqual([
          'q',
          'ldq',
          'kPool',
          'vPool',
          'blockTable',
          'maxPages',
          'rowInfo',
          'out',
          'ldo',
          'rows',
        ]);
        h.run(attn.name, [y, ldy, kPool, vPool, bt, MAX_PAGES, info, out, ldo, ROWS.length], threads);
        const got = h.f32(out, ROWS.length * ldo);
        ROWS.forEach(([slot, pos], r) => {
          const from = shape.window ? Math.max(0, pos + 1 - shape.window) : 0;
          const hist = (history.get(slot) as { k: Float32Array; v: Float32Array }[]).slice(from, pos + 1);
          const want = refAttention(
            ys.subarray(r * ldy, r * ldy + nq),
            hist.map((e) => e.k),
            hist.map((e) => e.v),
            shape,
          );
          for (let i = 0; i < nq; i++) {
            expect(Math.abs((got[r * ldo + i] as number) - (want[i] as number))).toBeLessThanOrEqual(TOL);
          }
          expect(Number.isNaN(got[r * ldo + nq] as number)).toBe(true); // padding untouched
        });
      }
    });
  }

  it('skips rows whose page is outside the table or the pool', async () => {
    const shape = { nHeads: 2, nKv: 1, headDim: 4 };
    const { h, write } = await setup(shape);
    const kPool = h.alloc(NUM_PAGES * PAGE_TOKENS * 16);
    const vPool = h.alloc(NUM_PAGES * PAGE_TOKENS * 16);
    const before = Uint8Array.from(new Uint8Array(h.memory.buffer, kPool, NUM_PAGES * PAGE_TOKENS * 32));
    const y = h.put(rand(8));
    // slot 0 position 40 → logical page 2 → table entry 99 (≥ numPages); position 48 → page 3 ≥ maxPages.
    const info = h.put(Uint32Array.from([0, 40, 0, 48]));
    const bt = h.put(BLOCK_TABLE);
    h.run(write.name, [y, y + 16, 4, 4, info, bt, MAX_PAGES, NUM_PAGES, kPool, vPool, 2], 2);
    expect(new Uint8Array(h.memory.buffer, kPool, NUM_PAGES * PAGE_TOKENS * 32)).toEqual(before);
  });
});
