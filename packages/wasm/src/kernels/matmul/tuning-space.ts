// The matmul kernels' tuning space: the parameters the runtime's tuner may time per shape, with
// a default per format. Defaults come from timings on a 2-core x86 (README.md, "Matmul kernels");
// activation tiles of 8 rows lost to 4 on every shape measured (40–59 against 84 GFLOP/s) and are left out.
import { formatOf, type WeightType } from '../../weights/index.ts';

/** Candidate values of each tunable parameter, and the default to use untuned. */
export interface MatmulTuningSpace {
  /** Tiles of 4 weight rows per pass. */
  readonly rowTiles: readonly (1 | 2)[];
  /** Activation rows per pass (only values ≤ m matter; m = 1 always runs one row). */
  readonly actTile: readonly number[];
  /** Relaxed dot or plain i16 dot (relaxed only where the engine computes relaxed SIMD right). */
  readonly relaxed: readonly boolean[];
  /** Relaxed dot flavour: i16 dots summed in i16, or the i32 dot-add (faster where V8 lowers it to VNNI). */
  readonly relaxedDot: readonly ('i16' | 'i32')[];
  /** Weight bytes per tile block (matters when m > actTile). */
  readonly blockBytes: readonly number[];
  /** The untuned choice. */
  readonly defaults: {
    readonly rowTiles: 1 | 2;
    readonly actTile: number;
    readonly relaxed: boolean;
    readonly relaxedDot: 'i16' | 'i32';
    readonly blockBytes: number;
  };
}

const BLOCKS = [16384, 65536, 262144];

/** Tuning spaces per value kind of the packed format. */
export const MATMUL_TUNING: Readonly<Record<'u4' | 'u8' | 's8' | 'f32', MatmulTuningSpace>> = {
  u4: {
    rowTiles: [1, 2],
    actTile: [1, 2, 4],
    relaxed: [true, false],
    relaxedDot: ['i16', 'i32'],
    blockBytes: BLOCKS,
    defaults: { rowTiles: 1, actTile: 4, relaxed: true, relaxedDot: 'i16', blockBytes: 65536 },
  },
  u8: {
    rowTiles: [1, 2],
    actTile: [1, 2, 4],
    relaxed: [true, false],
    relaxedDot: ['i16', 'i32'],
    blockBytes: BLOCKS,
    defaults: { rowTiles: 1, actTile: 4, relaxed: true, relaxedDot: 'i16', blockBytes: 65536 },
  },
  s8: {
    rowTiles: [1, 2],
    actTile: [1, 2, 4],
    relaxed: [false],
    relaxedDot: ['i16'],
    blockBytes: BLOCKS,
    defaults: { rowTiles: 1, actTile: 4, relaxed: false, relaxedDot: 'i16', blockBytes: 65536 },
  },
  f32: {
    rowTiles: [1, 2],
    actTile: [1, 2, 4],
    relaxed: [false],
    relaxedDot: ['i16'],
    blockBytes: BLOCKS,
    defaults: { rowTiles: 1, actTile: 4, relaxed: false, relaxedDot: 'i16', blockBytes: 65536 },
  },
};

/**
 * The tuning space of a weight type. Without relaxed SIMD its relaxed candidates are dropped;
 * `relaxedDotAdd` false (an engine whose i32x4.relaxed_dot_i8x16_i7x16_add_s computes wrong, as
 * Node 20's flagged V8 does in its baseline tier) drops the i32 dot-add flavour.
 */
export function matmulTuningSpace(
  type: WeightType,
  relaxedSimd: boolean,
  relaxedDotAdd = relaxedSimd,
): MatmulTuningSpace {
  const space = MATMUL_TUNING[formatOf(type).kind];
  const dots = relaxedDotAdd ? space.relaxedDot : space.relaxedDot.filter((d) => d !== 'i32');
  if (relaxedSimd) return { ...space, relaxedDot: dots };
  return { ...space, relaxed: [false], relaxedDot: ['i16'], defaults: { ...space.defaults, relaxed: false } };
}
