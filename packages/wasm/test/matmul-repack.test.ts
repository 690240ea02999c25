// Repacking: every type's packed tensor, read back through the documented layout
// (packed-format.ts), gives exactly the weights the float64 reference dequantizer gives, and
// padding rows are zero.
import { describe, expect, it } from 'vitest';
import { dequantize } from '../../gpu/src/quant/dequantize.ts';
import { quantize } from '../../gpu/src/quant/quantize.ts';
import {
  formatOf,
  packedLayout,
  RECORD_COLS,
  recordBytes,
  recordDataBytes,
  repack,
  scaleGroupsPerRecord,
  type WeightType,
} from '../src/weights/index.ts';

/** Reads weight (r, c) of a packed tensor back as d·q + offset, following the documented layout. */
function readPacked(type: WeightType, packed: Uint8Array, rows: number, cols: number): Float64Array {
  const layout = packedLayout(type, rows, cols);
  const f = layout.format;
  const v = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const tile = Math.floor(r / 4) * layout.tileBytes;
    const lane = r % 4;
    for (let c = 0; c < cols; c++) {
      if (f.kind === 'f32') {
        out[r * cols + c] = v.getFloat32(tile + 16 * c + 4 * lane, true);
        continue;
      }
      const o = tile + Math.floor(c / RECORD_COLS) * recordBytes(f);
      const cc = c % RECORD_COLS;
      const chunk = cc >> 2;
      let q: number;
      if (f.kind === 'u4') {
        const byte = v.getUint8(o + 16 * (chunk & 3) + 4 * lane + (cc & 3));
        q = chunk < 4 ? byte & 15 : byte >> 4;
      } else if (f.kind === 's8') q = v.getInt8(o + 16 * chunk + 4 * lane + (cc & 3));
      else q = v.getUint8(o + 16 * chunk + 4 * lane + (cc & 3));
      const sgs = scaleGroupsPerRecord(f);
      const s = Math.floor(cc / f.group);
      const d = v.getFloat32(o + recordDataBytes(f) + 16 * s + 4 * lane, true);
      const m =
        f.offset === 'free'
          ? v.getFloat32(o + recordDataBytes(f) + 16 * (sgs + s) + 4 * lane, true)
          : f.constOffset * d;
      out[r * cols + c] = d * q + m;
    }
  }
  return out;
}

const TYPES: WeightType[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q5_0', 'q4_k', 'q5_k', 'q6_k'];

describe('repack', () => {
  for (const type of TYPES) {
    it(`${type}: the packed layout reads back as the reference dequantization`, () => {
      const f = formatOf(type);
      const cols = f.sourceBlock === 256 ? 512 : f.sourceBlock === 32 ? 96 : 37;
      const rows = 7;
      const values = Float32Array.from({ length: rows * cols }, () => Math.random() * 2 - 1);
      const src = quantize(type, values);
      const want = dequantize(type, src, rows * cols);
      const layout = packedLayout(type, rows, cols);
      const dst = new Uint8Array(layout.bytes + 16).fill(0xab);
      repack(type, src, rows, cols, dst);
      const got = readPacked(type, dst, rows, cols);
      const wrong = [...got].findIndex((g, i) => g !== want[i]); // == equality: −0 and +0 agree
      expect(wrong).toBe(-1);
      // row 7 (padding of the second tile) reads as zeros; bytes past the layout are untouched
      expect(
        readPacked(type, dst, 8, cols)
          .subarray(rows * cols)
          .every((x) => x === 0),
      ).toBe(true);
      expect(dst[layout.bytes]).toBe(0xab);
      expect(layout.bytes).toBe(layout.tiles * layout.tileBytes);
    });
  }

  it('rejects partial blocks and short buffers', () => {
    expect(() => packedLayout('q4_0', 4, 48)).toThrow(/blocks of 32/);
    expect(() => repack('q4_0', new Uint8Array(10), 4, 32, new Uint8Array(4096))).toThrow(/needs 72 bytes/);
  });
});
