// Scatters the new K and V rows into the paged pools (layout in paged-kv.ts): row r's kv head h
// goes to page blockTable[slot·maxPages + position / 16], token position % 16. Rows whose
// logical page is past maxPages or whose physical page is past numPages are skipped, as the
// WebGPU kv-write does. RoPE is applied to k beforehand (rope.ts), in the same row buffer.
import type { ModuleBuilder } from '../../encoder/index.ts';
import type { KernelExport } from '../math/kernel-export.ts';
import { kernelParams, paramsByName } from '../math/kernel-params.ts';
import { emitShare } from '../thread-share.ts';
import { emitLoadPiece, emitStorePiece, headPieces, PAGE_TOKENS } from './paged-kv.ts';

/** Shape constants of a KV write kernel. */
export interface KvWriteSpec {
  /** kv heads per row. */
  nKvHeads: number;
  /** Floats per head (even). */
  headDim: number;
  /** Export name (default `kv_write_<nKvHeads>_<headDim>`). */
  name?: string;
}

/**
 * Emits `name(k, v, ldk, ldv, rowInfo, blockTable, maxPages, numPages, kPool, vPool, rows,
 * thread, threads)`: copies k[r·ldk + h·headDim + d] and v[r·ldv + …] (byte offsets k, v; strides
 * in floats) of each row r < rows to its (slot, position) from rowInfo u32 [rows][2] in the
 * pools f32 [numPages][16][nKvHeads][headDim], through blockTable u32 [slots][maxPages]. Split over
 * threads by (row, kv head).
 */
export function emitKvWrite(mod: ModuleBuilder, spec: KvWriteSpec): KernelExport {
  const { nKvHeads: kv, headDim } = spec;
  if (headDim % 2 || headDim <= 0) throw new RangeError(`kv write: head dim ${headDim}`);
  const name = spec.name ?? `kv_write_${kv}_${headDim}`;
  const args = [
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
  ] as const;
  mod.func(name, kernelParams(args), [], (b) => {
    const { k, v, ldk, ldv, rowInfo, blockTable, maxPages, numPages, kPool, vPool, rows, thread, threads } =
      paramsByName(b, args);
    const u = b.local('i32', 'u');
    const end = b.local('i32', 'end');
    const units = b.local('i32', 'units');
    const r = b.local('i32', 'r');
    const h = b.local('i32', 'h');
    const pos = b.local('i32', 'pos');
    const page = b.local('i32', 'page');
    const dst = b.local('i32', 'dst');
    const src = b.local('i32', 'src');
    const to = b.local('i32', 'to');
    b.get(rows).i32(kv).op('i32.mul').set(units);
    emitShare(b, units, thread, threads, u, end);
    b.range(u, u, end, 1, () => {
      b.get(u).i32(kv).op('i32.div_u').set(r);
      b.get(u).i32(kv).op('i32.rem_u').set(h);
      b.get(rowInfo).get(r).i32(3).op('i32.shl').op('i32.add').op('i32.load', 4).set(pos);
      b.block((skip) => {
        b.get(pos).i32(4).op('i32.shr_u').get(maxPages).op('i32.ge_u').brIf(skip);
        // page = blockTable[slot·maxPages + pos / 16]
        b.get(blockTable);
        b.get(rowInfo).get(r).i32(3).op('i32.shl').op('i32.add').op('i32.load').get(maxPages).op('i32.mul');
        b.get(pos)
          .i32(4)
          .op('i32.shr_u')
          .op('i32.add')
          .i32(2)
          .op('i32.shl')
          .op('i32.add')
          .op('i32.load')
          .tee(page);
        b.get(numPages).op('i32.ge_u').brIf(skip);
        // dst = 4·(((page·16 + pos % 16)·kv + h)·headDim)
        b.get(page)
          .i32(PAGE_TOKENS)
          .op('i32.mul')
          .get(pos)
          .i32(PAGE_TOKENS - 1)
          .op('i32.and')
          .op('i32.add');
        b.i32(kv)
          .op('i32.mul')
          .get(h)
          .op('i32.add')
          .i32(headDim * 4)
          .op('i32.mul')
          .set(dst);
        for (const [base, ld, pool] of [
          [k, ldk, kPool],
          [v, ldv, vPool],
        ] as const) {
          b.get(base).get(r).get(ld).op('i32.mul').get(h).i32(headDim).op('i32.mul').op('i32.add');
          b.i32(2).op('i32.shl').op('i32.add').set(src);
          b.get(pool).get(dst).op('i32.add').set(to);
          for (const { offset, full } of headPieces(headDim)) {
            b.get(to);
            emitLoadPiece(b, src, offset, full);
            emitStorePiece(b, offset, full);
          }
        }
      });
    });
  });
  return { name, args };
}
