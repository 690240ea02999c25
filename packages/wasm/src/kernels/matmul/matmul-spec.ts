// What a matmul kernel is specialised on, and its defaults.
import { formatOf, type WeightType } from '../../weights/index.ts';

/** Specialisation of one matmul kernel: y[j·ldy + r] (+)= Σ_c W[r,c]·x[j,c] (+ bias[r]). */
export interface MatmulSpec {
  /** GGUF type the weights were repacked from (decides the packed format). */
  readonly type: WeightType;
  /** Columns of W = values per activation row. */
  readonly k: number;
  /** Rows of W = outputs per activation row. */
  readonly n: number;
  /** Tiles of 4 weight rows computed together (1 or 2). */
  readonly rowTiles?: 1 | 2;
  /** Activation rows computed together (1…8; the remainder of m runs one row at a time). */
  readonly actTile?: number;
  /** Use i32x4.relaxed_dot_i8x16_i7x16_add_s (u4 and u8 formats; s8 and f32 ignore it). */
  readonly relaxed?: boolean;
  /** Relaxed dot flavour: i16 dots summed in i16 then widened (default), or i32 dot-add per chunk. */
  readonly relaxedDot?: 'i16' | 'i32';
  /** Weight bytes per tile block: every activation row passes over a block before the next (default 64 KiB). */
  readonly blockBytes?: number;
  /** Add to y instead of overwriting it. */
  readonly accumulate?: boolean;
  /** Add bias[r] (f32, n values) — takes an extra `bias` pointer argument. */
  readonly bias?: boolean;
  /** Export name (default derived from the specialisation). */
  readonly name?: string;
}

/** A spec with every default filled in. */
export type ResolvedMatmulSpec = Required<MatmulSpec>;

/** Fills in the defaults of `spec` and checks its shape. */
export function resolveMatmulSpec(spec: MatmulSpec): ResolvedMatmulSpec {
  const f = formatOf(spec.type);
  const { k, n } = spec;
  if (!Number.isInteger(k) || k < 1 || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`matmul: k and n must be positive integers, got k=${k} n=${n}`);
  }
  if (f.kind !== 'f32' && k % f.sourceBlock !== 0) {
    throw new RangeError(`matmul: ${spec.type} needs k a multiple of ${f.sourceBlock}, got ${k}`);
  }
  const rowTiles = spec.rowTiles ?? 1;
  const actTile = spec.actTile ?? 4;
  if (rowTiles !== 1 && rowTiles !== 2) throw new RangeError(`matmul: rowTiles ${rowTiles} is not 1 or 2`);
  if (!Number.isInteger(actTile) || actTile < 1 || actTile > 8) {
    throw new RangeError(`matmul: actTile ${actTile} is not in 1…8`);
  }
  const relaxed = (spec.relaxed ?? false) && (f.kind === 'u4' || f.kind === 'u8');
  const relaxedDot = spec.relaxedDot ?? 'i16';
  const blockBytes = spec.blockBytes ?? 65536;
  const accumulate = spec.accumulate ?? false;
  const bias = spec.bias ?? false;
  const name =
    spec.name ??
    `matmul_${spec.type}_k${k}_n${n}_r${rowTiles}_a${actTile}${relaxed ? `_rx${relaxedDot === 'i32' ? '32' : ''}` : ''}` +
      `${accumulate ? '_acc' : ''}${bias ? '_bias' : ''}`;
  return {
    type: spec.type,
    k,
    n,
    rowTiles,
    actTile,
    relaxed,
    relaxedDot,
    blockBytes,
    accumulate,
    bias,
    name,
  };
}
