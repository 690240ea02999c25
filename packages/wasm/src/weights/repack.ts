// Repacks a GGUF tensor into the internal format the matmul kernels read (layouts in
// packed-format.ts): once at load, scales converted to f32, rows interleaved by tiles of 4.
import { type DecodedRow, decodeRow } from './ggml-blocks.ts';
import { bf16ToF32, f16ToF32 } from './half-float.ts';
import {
  packedLayout,
  RECORD_COLS,
  recordBytes,
  recordDataBytes,
  scaleGroupsPerRecord,
  sourceRowBytes,
  TILE_ROWS,
  type WeightType,
} from './packed-format.ts';

/**
 * Writes the rows × cols tensor `src` (its GGUF bytes, row-major) of `type` into `dst` (at least
 * packedLayout(type, rows, cols).bytes long) in the internal format; padding rows are zero.
 */
export function repack(type: WeightType, src: Uint8Array, rows: number, cols: number, dst: Uint8Array): void {
  const layout = packedLayout(type, rows, cols);
  const rowBytes = sourceRowBytes(type, cols);
  if (src.byteLength < rows * rowBytes) {
    throw new RangeError(
      `repack: ${rows} × ${cols} ${type} needs ${rows * rowBytes} bytes, got ${src.byteLength}.`,
    );
  }
  if (dst.byteLength < layout.bytes) {
    throw new RangeError(`repack: the packed tensor needs ${layout.bytes} bytes, got ${dst.byteLength}.`);
  }
  const sv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const dv = new DataView(dst.buffer, dst.byteOffset, layout.bytes);
  dst.fill(0, 0, layout.bytes);
  const f = layout.format;
  if (f.kind === 'f32') {
    const read =
      type === 'f32'
        ? (o: number) => sv.getFloat32(o, true)
        : type === 'f16'
          ? (o: number) => f16ToF32(sv.getUint16(o, true))
          : (o: number) => bf16ToF32(sv.getUint16(o, true));
    const size = type === 'f32' ? 4 : 2;
    for (let r = 0; r < rows; r++) {
      const tile = Math.floor(r / TILE_ROWS) * layout.tileBytes + 4 * (r % TILE_ROWS);
      for (let c = 0; c < cols; c++) dv.setFloat32(tile + 16 * c, read(r * rowBytes + size * c), true);
    }
    return;
  }
  const groups = cols / f.group;
  const row: DecodedRow = {
    q: new Int32Array(cols),
    d: new Float32Array(groups),
    m: new Float32Array(groups),
  };
  const rec = recordBytes(f);
  const data = recordDataBytes(f);
  const sgs = scaleGroupsPerRecord(f);
  for (let r = 0; r < rows; r++) {
    decodeRow(type, sv, r * rowBytes, cols, row);
    const lane = r % TILE_ROWS;
    const tile = Math.floor(r / TILE_ROWS) * layout.tileBytes;
    for (let g = 0; g < cols / RECORD_COLS; g++) {
      const o = tile + g * rec;
      for (let c = 0; c < RECORD_COLS; c++) {
        const v = row.q[g * RECORD_COLS + c] as number;
        const chunk = c >> 2;
        const j = c & 3;
        if (f.kind === 'u4') {
          // chunk p (0…3) in the low nibbles of v128 p, chunk p + 4 in its high nibbles
          const at = o + 16 * (chunk & 3) + 4 * lane + j;
          dst[at] = (dst[at] as number) | (chunk < 4 ? v : v << 4);
        } else {
          dst[o + 16 * chunk + 4 * lane + j] = v & 0xff;
        }
      }
      for (let s = 0; s < sgs; s++) {
        dv.setFloat32(o + data + 16 * s + 4 * lane, row.d[g * sgs + s] as number, true);
        if (f.offset === 'free') {
          dv.setFloat32(o + data + 16 * (sgs + s) + 4 * lane, row.m[g * sgs + s] as number, true);
        }
      }
    }
  }
}
