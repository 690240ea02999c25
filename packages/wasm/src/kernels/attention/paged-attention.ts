// Causal grouped-query attention over the paged KV cache (layout in paged-kv.ts), one kernel for
// prefill chunks and decode rows alike: every row reads its own slot's keys 0..position through
// the block table. Work is split over threads by (row, kv head); a unit streams the keys of its
// kv head once, each K and V row serving all nHeads/nKvHeads q heads that share it (ggml's GQA
// broadcast: q head h reads kv head h / group). Scores are q·k · scale (1/sqrt(headDim) unless
// the model says otherwise), optionally soft-capped to c·tanh(s/c) (Gemma 2), over the keys
// position − window + 1 … position when the layer has a sliding window (llama.cpp's standard SWA
// mask), else over 0 … position; the softmax is
// the online one of Milakov & Gimelshein 2018 ("Online normalizer calculation for softmax"), one
// key at a time with one exp per (key, head): when a score s exceeds the running max m, the sum
// and the output accumulated so far are scaled by e^(m − s), otherwise the key gets weight
// e^(s − m). The unnormalised output accumulates in the out row itself (each unit owns its
// heads' out floats), divided by the sum at the end. f32 throughout, four lanes at a time.
import type { FunctionBuilder, Local, ModuleBuilder } from '../../encoder/index.ts';
import { emitExpF32 } from '../math/exp.ts';
import type { KernelExport } from '../math/kernel-export.ts';
import { kernelParams, paramsByName } from '../math/kernel-params.ts';
import { emitHorizontalSum } from '../math/lanes.ts';
import { emitShare } from '../thread-share.ts';
import { emitLoadPiece, emitStorePiece, headPieces, PAGE_TOKENS } from './paged-kv.ts';

/** Shape constants of a paged attention kernel. */
export interface PagedAttentionSpec {
  /** q heads per row. */
  nHeads: number;
  /** kv heads (a divisor of nHeads). */
  nKvHeads: number;
  /** Floats per head (even). */
  headDim: number;
  /** Multiplier of q·k (default 1/sqrt(headDim)). */
  scale?: number;
  /** Soft-cap c of the scaled scores, c·tanh(s/c) (default 0: none). */
  softcap?: number;
  /** Keys a query sees, itself included: position − window + 1 … position (default 0: all from 0). */
  window?: number;
  /** Export name (default `paged_attention_<nHeads>_<nKvHeads>_<headDim>`). */
  name?: string;
}

/**
 * Emits `name(q, ldq, kPool, vPool, blockTable, maxPages, rowInfo, out, ldo, rows, thread,
 * threads)`: for each row r < rows with (slot, position) = rowInfo u32 [rows][2] and each q head
 * h, out[r·ldo + h·headDim + d] = Σ_{t ≤ position} softmax_t(q_h·k_t / sqrt(headDim)) · v_t[d], with
 * q_h at q + 4·(r·ldq + h·headDim) and k_t, v_t of kv head h / group in the pools f32
 * [numPages][16][nKvHeads][headDim] at page blockTable[slot·maxPages + t / 16] (u32). q, the
 * pools, the tables and out are byte offsets; ldq and ldo strides in floats; out must not
 * overlap q. Keys written for these rows must be in the pools already (kv-write.ts, then a barrier).
 */
export function emitPagedAttention(mod: ModuleBuilder, spec: PagedAttentionSpec): KernelExport {
  const { nHeads, nKvHeads: kv, headDim } = spec;
  if (headDim % 2 || headDim <= 0 || nHeads % kv) {
    throw new RangeError(`paged attention: ${nHeads} heads over ${kv}, head dim ${headDim}`);
  }
  const group = nHeads / kv;
  const name = spec.name ?? `paged_attention_${nHeads}_${kv}_${headDim}`;
  const args = [
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
  ] as const;
  const pieces = headPieces(headDim);
  const headBytes = headDim * 4;
  const tokenBytes = kv * headBytes;
  const scale = spec.scale ?? 1 / Math.sqrt(headDim);
  const softcap = spec.softcap ?? 0;
  const window = spec.window ?? 0;
  if (!(softcap >= 0) || !(Number.isInteger(window) && window >= 0)) {
    throw new RangeError(`paged attention: soft-cap ${softcap}, window ${window}`);
  }
  mod.func(name, kernelParams(args), [], (b) => {
    const { q, ldq, kPool, vPool, blockTable, maxPages, rowInfo, out, ldo, rows, thread, threads } =
      paramsByName(b, args);
    const L = (t: 'i32' | 'f32' | 'v128', n: string) => b.local(t, n);
    const u = L('i32', 'u');
    const end = L('i32', 'end');
    const units = L('i32', 'units');
    const r = L('i32', 'r');
    const g = L('i32', 'g');
    const pos = L('i32', 'pos');
    const qp = L('i32', 'qp');
    const op = L('i32', 'op');
    const bt = L('i32', 'bt');
    const lp = L('i32', 'lp');
    const pages = L('i32', 'pages');
    const kp = L('i32', 'kp');
    const vp = L('i32', 'vp');
    const t = L('i32', 't');
    const n = L('i32', 'n');
    const first = L('i32', 'first');
    const t0 = L('i32', 't0');
    const [s, d, e] = ['s', 'd', 'e'].map((x) => L('f32', x)) as [Local, Local, Local];
    const ev = L('v128', 'ev');
    const acc = L('v128', 'acc');
    const m = Array.from({ length: group }, (_, h) => L('f32', `m${h}`));
    const l = Array.from({ length: group }, (_, h) => L('f32', `l${h}`));
    const rowPtr = (base: Local, ld: Local, into: Local) => {
      b.get(base)
        .get(r)
        .get(ld)
        .op('i32.mul')
        .get(g)
        .i32(group * headDim)
        .op('i32.mul')
        .op('i32.add');
      b.i32(2).op('i32.shl').op('i32.add').set(into);
    };
    b.get(rows).i32(kv).op('i32.mul').set(units);
    emitShare(b, units, thread, threads, u, end);
    b.range(u, u, end, 1, () => {
      b.get(u).i32(kv).op('i32.div_u').set(r);
      b.get(u).i32(kv).op('i32.rem_u').set(g);
      b.get(rowInfo).get(r).i32(3).op('i32.shl').op('i32.add').op('i32.load', 4).set(pos);
      // bt = blockTable + 4·slot·maxPages
      b.get(blockTable).get(rowInfo).get(r).i32(3).op('i32.shl').op('i32.add').op('i32.load');
      b.get(maxPages).op('i32.mul').i32(2).op('i32.shl').op('i32.add').set(bt);
      rowPtr(q, ldq, qp);
      rowPtr(out, ldo, op);
      for (let h = 0; h < group; h++) {
        b.f32(Number.NEGATIVE_INFINITY).set(m[h] as Local);
        b.f32(0).set(l[h] as Local);
        for (const { offset, full } of pieces) {
          b.get(op).splat('f32', 0);
          emitStorePiece(b, h * headBytes + offset, full);
        }
      }
      b.get(pos).i32(4).op('i32.shr_u').i32(1).op('i32.add').set(pages);
      // first = max(0, pos + 1 − window): the oldest key the query sees; pages before its page are skipped.
      if (window > 0) {
        b.get(pos)
          .i32(1 - window)
          .op('i32.add')
          .tee(first);
        b.i32(0).get(first).i32(0).op('i32.gt_s').select().set(first);
      } else b.i32(0).set(first);
      b.get(first).i32(4).op('i32.shr_u').set(lp);
      b.range(lp, lp, pages, 1, () => {
        // kp = kPool + 4·((page·16·kv + g)·headDim), vp likewise; n = min(16, pos + 1 − 16·lp)
        b.get(bt).get(lp).i32(2).op('i32.shl').op('i32.add').op('i32.load');
        b.i32(PAGE_TOKENS * kv)
          .op('i32.mul')
          .get(g)
          .op('i32.add')
          .i32(headBytes)
          .op('i32.mul')
          .tee(kp);
        b.get(vPool).op('i32.add').set(vp);
        b.get(kp).get(kPool).op('i32.add').set(kp);
        b.get(pos).i32(1).op('i32.add').get(lp).i32(4).op('i32.shl').op('i32.sub').tee(n);
        b.i32(PAGE_TOKENS).get(n).i32(PAGE_TOKENS).op('i32.lt_s').select().set(n);
        // t0 = max(0, first − 16·lp): the first key of this page inside the window.
        b.get(first).get(lp).i32(4).op('i32.shl').op('i32.sub').tee(t0);
        b.i32(0).get(t0).i32(0).op('i32.gt_s').select().tee(t0);
        b.i32(tokenBytes).op('i32.mul').tee(t);
        b.get(kp).op('i32.add').set(kp);
        b.get(vp).get(t).op('i32.add').set(vp);
        b.range(t, t0, n, 1, () => {
          for (let h = 0; h < group; h++) emitKeyUpdate(b, h);
          b.get(kp).i32(tokenBytes).op('i32.add').set(kp);
          b.get(vp).i32(tokenBytes).op('i32.add').set(vp);
        });
      });
      for (let h = 0; h < group; h++) {
        b.f32(1)
          .get(l[h] as Local)
          .op('f32.div')
          .op('f32x4.splat')
          .set(ev);
        for (const { offset, full } of pieces) {
          b.get(op);
          emitLoadPiece(b, op, h * headBytes + offset, full);
          b.get(ev).op('f32x4.mul');
          emitStorePiece(b, h * headBytes + offset, full);
        }
      }
    });

    /** One key for q head h of the unit: score, online-softmax step, output update. */
    function emitKeyUpdate(b: FunctionBuilder, h: number): void {
      b.splat('f32', 0).set(acc);
      for (const { offset, full } of pieces) {
        emitLoadPiece(b, qp, h * headBytes + offset, full);
        emitLoadPiece(b, kp, offset, full);
        b.op('f32x4.mul').get(acc).op('f32x4.add').set(acc);
      }
      b.get(acc);
      emitHorizontalSum(b);
      b.f32(scale).op('f32.mul');
      if (softcap > 0) emitSoftcap(b, softcap, s, e);
      b.tee(s);
      b.get(m[h] as Local)
        .op('f32.sub')
        .tee(d);
      b.op('f32.abs').op('f32.neg');
      emitExpF32(b);
      b.tee(e).op('f32x4.splat').set(ev);
      const update = (rescale: boolean) => {
        for (const { offset, full } of pieces) {
          const at = h * headBytes + offset;
          b.get(op);
          emitLoadPiece(b, op, at, full);
          if (rescale) {
            b.get(ev).op('f32x4.mul');
            emitLoadPiece(b, vp, offset, full);
          } else {
            emitLoadPiece(b, vp, offset, full);
            b.get(ev).op('f32x4.mul');
          }
          b.op('f32x4.add');
          emitStorePiece(b, at, full);
        }
      };
      b.get(d).f32(0).op('f32.gt');
      b.if(
        () => {
          // New max: o = o·e^(m − s) + v, l = l·e^(m − s) + 1, m = s.
          b.get(s).set(m[h] as Local);
          b.get(l[h] as Local)
            .get(e)
            .op('f32.mul')
            .f32(1)
            .op('f32.add')
            .set(l[h] as Local);
          update(true);
        },
        () => {
          // o += e^(s − m)·v, l += e^(s − m).
          b.get(l[h] as Local)
            .get(e)
            .op('f32.add')
            .set(l[h] as Local);
          update(false);
        },
      );
    }
  });
  return { name, args };
}

/**
 * Pops an f32 y and pushes c·tanh(y/c), with tanh|z| = (1 − e^(−2|z|)) / (1 + e^(−2|z|)) (e in
 * (0, 1], no overflow) and the sign of z put back. `z` and `t` are scratch locals.
 */
function emitSoftcap(b: FunctionBuilder, c: number, z: Local, t: Local): void {
  b.f32(1 / c)
    .op('f32.mul')
    .tee(z);
  b.op('f32.abs').f32(-2).op('f32.mul');
  emitExpF32(b);
  b.set(t);
  b.f32(1).get(t).op('f32.sub').f32(1).get(t).op('f32.add').op('f32.div');
  b.get(z).op('f32.copysign').f32(c).op('f32.mul');
}
