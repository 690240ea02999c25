export { bf16ToF32, f16ToF32 } from './half-float.ts';
export {
  formatOf,
  type PackedFormat,
  type PackedLayout,
  packedLayout,
  RECORD_COLS,
  recordBytes,
  recordDataBytes,
  scaleGroupsPerRecord,
  sourceRowBytes,
  TILE_ROWS,
  tileBytes,
  type ValueKind,
  WEIGHT_TYPES,
  type WeightType,
} from './packed-format.ts';
export { repack } from './repack.ts';
