// The matmul generator's frame: arguments, the thread's share of row tiles, the loops over
// tiles (rowTiles at a time, then one) and activation rows (actTile at a time, then one), and
// the stores. The inner products over k are emitted by int-inner.ts (quantized formats, over
// quantized activations) and f32-inner.ts (f32 format, over f32 activations).
//
// Every weight byte of a tile is loaded once per pass for all activation rows of the pass: a
// batch of 16 sequences costs one weight read per 8 rows (actTile 8), not per sequence.
import type { FunctionBuilder, Local, ModuleBuilder } from '../../encoder/index.ts';
import { formatOf, type PackedFormat, TILE_ROWS, tileBytes } from '../../weights/index.ts';
import { emitShare, THREAD_PARAMS } from '../thread-share.ts';
import { actRowBytes } from './activation-layout.ts';
import { emitBatchedIntInner } from './batched-inner.ts';
import { emitF32Inner } from './f32-inner.ts';
import { emitIntInner } from './int-inner.ts';
import { type MatmulSpec, type ResolvedMatmulSpec, resolveMatmulSpec } from './matmul-spec.ts';
import type { KernelExport } from './quantize-activations.ts';

/** Locals of one pass (a tile group × an activation-row group), shared with the inner emitters. */
export interface PassContext {
  /** The function being built. */
  readonly b: FunctionBuilder;
  /** The resolved specialisation. */
  readonly spec: ResolvedMatmulSpec;
  /** The packed format. */
  readonly format: PackedFormat;
  /** Bytes per tile of 4 rows. */
  readonly tileBytes: number;
  /** Weight pointer: start of the current record (or column chunk) of the first tile. */
  readonly wp: Local;
  /** Activation pointers, one per activation row of the pass. */
  readonly xp: readonly Local[];
  /** f32x4 accumulators [tile][activation row]: lane i = weight row 4·tile + i. */
  readonly acc: readonly (readonly Local[])[];
  /** Allocates (or reuses) a scratch local. */
  scratch(type: 'v128' | 'i32', key: string): Local;
}

/**
 * Emits the matmul kernel for `spec` into `mod`; its arguments are (xq, w, y, m, ldy[, bias]) then
 * (thread, threads) — x instead of xq for f32 weights (f32 activations, rows of k contiguous).
 */
export function emitMatmul(mod: ModuleBuilder, spec: MatmulSpec): KernelExport {
  const s = resolveMatmulSpec(spec);
  const format = formatOf(s.type);
  const isF32 = format.kind === 'f32';
  const args = [isF32 ? 'x' : 'xq', 'w', 'y', 'm', 'ldy', ...(s.bias ? ['bias'] : [])];
  const nTiles = Math.ceil(s.n / TILE_ROWS);
  const tb = tileBytes(format, s.k);
  const xRow = isF32 ? 4 * s.k : actRowBytes(s.k);
  mod.func(s.name, [...args.map((a) => [a, 'i32'] as [string, 'i32']), ...THREAD_PARAMS], [], (b) => {
    const p = b.params as Local[];
    const [x, w, y, m, ldy] = p as [Local, Local, Local, Local, Local];
    const bias = s.bias ? (p[5] as Local) : undefined;
    const thread = p[p.length - 2] as Local;
    const threads = p[p.length - 1] as Local;
    const t = b.local('i32', 't');
    const blockStart = b.local('i32', 'blockStart');
    const blockEnd = b.local('i32', 'blockEnd');
    const tEnd = b.local('i32', 'tEnd');
    const j = b.local('i32', 'j');
    const wp = b.local('i32', 'wp');
    const addr = b.local('i32', 'addr');
    const xp = Array.from({ length: s.actTile }, (_, a) => b.local('i32', `xp${a}`));
    const acc = Array.from({ length: s.rowTiles }, (_, u) =>
      Array.from({ length: s.actTile }, (_, a) => b.local('v128', `acc${u}_${a}`)),
    );
    const scratchLocals = new Map<string, Local>();
    const scratch = (type: 'v128' | 'i32', key: string) => {
      let l = scratchLocals.get(key);
      if (!l) {
        l = b.local(type, key);
        scratchLocals.set(key, l);
      }
      return l;
    };

    /** One pass: tiles t…t+rt−1 × activation rows j…j+at−1, stored to y. */
    const pass = (rt: number, at: number) => {
      b.get(w).get(t).i32(tb).op('i32.mul').op('i32.add').set(wp);
      for (let a = 0; a < at; a++) {
        b.get(x).get(j);
        if (a) b.i32(a).op('i32.add');
        b.i32(xRow)
          .op('i32.mul')
          .op('i32.add')
          .set(xp[a] as Local);
      }
      for (let u = 0; u < rt; u++)
        for (let a = 0; a < at; a++) b.v128({ i32: [0, 0, 0, 0] }).set(acc[u]![a]!);
      const ctx: PassContext = {
        b,
        spec: s,
        format,
        tileBytes: tb,
        wp,
        xp: xp.slice(0, at),
        acc: acc.slice(0, rt).map((r) => r.slice(0, at)),
        scratch,
      };
      if (isF32) emitF32Inner(ctx);
      else if (s.relaxed && s.relaxedDot === 'i32') emitIntInner(ctx);
      else emitBatchedIntInner(ctx);
      for (let u = 0; u < rt; u++) for (let a = 0; a < at; a++) store(u, a);
    };

    /** Stores accumulator [u][a] to y row j + a, rows 4(t+u)…: a v128, or lanes in a partial last tile. */
    const store = (u: number, a: number) => {
      const v = acc[u]![a]!;
      // addr = y + 4·((j + a)·ldy + 4·(t + u))
      b.get(j);
      if (a) b.i32(a).op('i32.add');
      b.get(ldy).op('i32.mul').get(t);
      if (u) b.i32(u).op('i32.add');
      b.i32(2).op('i32.shl').op('i32.add').i32(2).op('i32.shl').get(y).op('i32.add').set(addr);
      const biasAddr = () => {
        b.get(bias as Local).get(t);
        if (u) b.i32(u).op('i32.add');
        b.i32(4).op('i32.shl').op('i32.add');
      };
      const full = () => {
        b.get(addr).get(v);
        if (bias) {
          biasAddr();
          b.op('v128.load', 0, 2).op('f32x4.add');
        }
        if (s.accumulate) b.get(addr).op('v128.load', 0, 2).op('f32x4.add');
        b.op('v128.store', 0, 2);
      };
      const lanes = s.n % TILE_ROWS;
      if (lanes === 0) return full();
      b.get(t);
      if (u) b.i32(u).op('i32.add');
      b.i32(nTiles - 1).op('i32.eq');
      b.if(() => {
        for (let lane = 0; lane < lanes; lane++) {
          b.get(addr).get(v).op('f32x4.extract_lane', lane);
          if (bias) {
            biasAddr();
            b.op('f32.load', 4 * lane).op('f32.add');
          }
          if (s.accumulate)
            b.get(addr)
              .op('f32.load', 4 * lane)
              .op('f32.add');
          b.op('f32.store', 4 * lane);
        }
      }, full);
    };

    // Loops: tile blocks of the thread's share (a block's weights, ≤ blockBytes, stay in cache)
    // × activation rows, actTile at a time (their activations stay in L1) × the block's tiles,
    // rowTiles at a time. A batch reads each weight from memory once per block, not per row.
    const blockTiles = Math.max(1, Math.floor(s.blockBytes / tb));
    const tilesOfBlock = (rt: number, at: number) =>
      b.block((exit) => {
        b.loop((again) => {
          b.get(t).i32(rt).op('i32.add').get(blockEnd).op('i32.gt_s').brIf(exit);
          pass(rt, at);
          b.get(t).i32(rt).op('i32.add').set(t).br(again);
        });
      });
    const rowsOfBlock = (at: number) =>
      b.block((exit) => {
        b.loop((again) => {
          b.get(j).i32(at).op('i32.add').get(m).op('i32.gt_s').brIf(exit);
          b.get(blockStart).set(t);
          tilesOfBlock(s.rowTiles, at);
          if (s.rowTiles > 1) tilesOfBlock(1, at);
          b.get(j).i32(at).op('i32.add').set(j).br(again);
        });
      });

    emitShare(b, nTiles, thread, threads, blockStart, tEnd);
    b.block((exit) => {
      b.loop((again) => {
        b.get(blockStart).get(tEnd).op('i32.ge_s').brIf(exit);
        // blockEnd = min(blockStart + blockTiles, tEnd)
        b.get(blockStart).i32(blockTiles).op('i32.add').get(tEnd);
        b.get(blockStart).i32(blockTiles).op('i32.add').get(tEnd).op('i32.lt_s').select().set(blockEnd);
        b.i32(0).set(j);
        rowsOfBlock(s.actTile);
        if (s.actTile > 1) rowsOfBlock(1);
        b.get(blockEnd).set(blockStart).br(again);
      });
    });
  });
  return { name: s.name, args };
}

/** Bytes the activation argument of a matmul over m rows occupies (quantized records, or f32 rows). */
export function matmulActivationBytes(spec: MatmulSpec, m: number): number {
  const format = formatOf(spec.type);
  return m * (format.kind === 'f32' ? 4 * spec.k : actRowBytes(spec.k));
}
