// Incremental little-endian reader over a ByteSource. It fetches the file in chunks as the
// parser advances and checks every claimed length against the bytes that remain before
// reading or allocating anything, so a hostile header costs time and memory proportional to
// the bytes actually present, never to what the file claims.

import { RuminateError } from '@ruminate/errors';
import type { ByteSource } from './types.ts';

const utf8 = new TextDecoder('utf-8');

/** Decodes UTF-8; short pure-ASCII strings (most vocabulary entries) skip TextDecoder's call overhead. */
function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if ((buf[i] as number) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  }
  return utf8.decode(buf.subarray(start, end));
}

/** Sequential reader with bounds checks; every failure is a `gguf-invalid` RuminateError. */
export class ByteReader {
  private buf = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  /** File offset of buf[0]. */
  private bufStart = 0;
  /** Read position within buf. */
  private pos = 0;

  constructor(
    private readonly source: ByteSource,
    private readonly chunkBytes: number,
    /** What the parser is reading, for error messages. */
    public context = 'header',
  ) {}

  /** Absolute file offset of the next byte. */
  get offset(): number {
    return this.bufStart + this.pos;
  }

  /** Bytes left in the file after the read position. */
  get remaining(): number {
    return this.source.size - this.offset;
  }

  /** Makes `n` bytes readable synchronously; throws `gguf-invalid` if the file ends first. */
  async ensure(n: number): Promise<void> {
    if (this.pos + n <= this.buf.length) return;
    if (n > this.remaining) this.truncated(n);
    const keep = this.buf.subarray(this.pos);
    const start = this.offset + keep.length;
    const want = Math.min(Math.max(n - keep.length, this.chunkBytes), this.source.size - start);
    const got = await this.source.read(start, want);
    if (got.length !== want) {
      throw new RuminateError(
        'gguf-invalid',
        `${this.name()}: the source returned ${got.length} bytes at offset ${start} where ${want} were asked for; the file may have changed while reading. Reload it.`,
      );
    }
    const next = new Uint8Array(keep.length + got.length);
    next.set(keep, 0);
    next.set(got, keep.length);
    this.bufStart = this.offset;
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    this.pos = 0;
  }

  /** Throws the error for a file that ends `n` bytes too early. */
  truncated(n: number): never {
    throw new RuminateError(
      'gguf-invalid',
      `${this.name()} is truncated: reading ${this.context} at byte ${this.offset} needs ${n} bytes but only ${this.remaining} remain. The download may be incomplete; fetch the file again.`,
    );
  }

  /** Throws `gguf-invalid` unless `count` items of at least `minBytes` each fit in the rest of the file. */
  checkCount(count: bigint, minBytes: number, what: string): number {
    if (count * BigInt(minBytes) > BigInt(this.remaining)) {
      throw new RuminateError(
        'gguf-invalid',
        `${this.name()}: ${what} claims ${count} entries (at least ${BigInt(minBytes) * count} bytes) at byte ${this.offset}, but only ${this.remaining} bytes remain. The file is corrupt or truncated.`,
      );
    }
    return Number(count);
  }

  u8(): number {
    const v = this.view.getUint8(this.pos);
    this.pos += 1;
    return v;
  }
  i8(): number {
    const v = this.view.getInt8(this.pos);
    this.pos += 1;
    return v;
  }
  u16(): number {
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  i16(): number {
    const v = this.view.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f32(): number {
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(): number {
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  u64(): bigint {
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Copies `n` buffered bytes (call `ensure(n)` first). */
  bytes(n: number): Uint8Array {
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * Reads a GGUF string without waiting when it is already buffered; returns undefined (and
   * consumes nothing) when it is not. Claimed lengths are checked exactly as in `string`.
   */
  stringSync(maxBytes: number): string | undefined {
    if (this.pos + 8 > this.buf.length) return undefined;
    const len = this.view.getBigUint64(this.pos, true);
    if (len > BigInt(maxBytes) || Number(len) > this.remaining - 8) return undefined; // `string` reports it
    const n = Number(len);
    const start = this.pos + 8;
    if (start + n > this.buf.length) return undefined;
    this.pos = start + n;
    return decodeUtf8(this.buf, start, start + n);
  }

  /** Reads a GGUF string (u64 length + UTF-8 bytes), refusing lengths above `maxBytes` or past the end. */
  async string(what: string, maxBytes: number): Promise<string> {
    await this.ensure(8);
    const len = this.u64();
    if (len > BigInt(maxBytes)) {
      throw new RuminateError(
        'gguf-invalid',
        `${this.name()}: ${what} at byte ${this.offset - 8} claims ${len} bytes, over the ${maxBytes}-byte limit for it. The file is corrupt.`,
      );
    }
    const n = Number(len);
    if (n > this.remaining) {
      throw new RuminateError(
        'gguf-invalid',
        `${this.name()}: ${what} at byte ${this.offset - 8} claims ${n} bytes but only ${this.remaining} remain. The file is corrupt or truncated.`,
      );
    }
    await this.ensure(n);
    const s = decodeUtf8(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** Drops buffered bytes so the reader holds no more memory than needed. */
  release(): void {
    this.bufStart = this.offset;
    this.buf = new Uint8Array(0);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
  }

  /** The source's name for messages. */
  name(): string {
    return this.source.name ? `GGUF file ${this.source.name}` : 'GGUF file';
  }
}
