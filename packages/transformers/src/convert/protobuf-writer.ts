// Protocol Buffers wire format, writing only (https://protobuf.dev/programming-guides/encoding/):
// varints, length-delimited fields and fixed32 floats, enough for ONNX's ModelProto. A message is
// a list of chunks plus its length, so megabytes of weights are referenced, never copied, until
// the model is joined into one buffer at the end.

/** Wire types used here. */
const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** An encoded message: its byte chunks in order and their total length. */
export class ProtoMessage {
  /** Encoded pieces, in order. */
  readonly chunks: Uint8Array[] = [];
  /** Total bytes of `chunks`. */
  length = 0;
  private scratch: number[] = [];

  private flushScratch(): void {
    if (this.scratch.length === 0) return;
    this.push(Uint8Array.from(this.scratch));
    this.scratch = [];
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private varint(value: bigint | number): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.scratch.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.scratch.push(Number(v));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** An int32/int64/enum/bool field (negative numbers as 64-bit two's complement, as protobuf does). */
  int(field: number, value: number | bigint): this {
    this.tag(field, VARINT);
    this.varint(value);
    return this;
  }

  /** A float field (fixed32, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.scratch.push(...b);
    return this;
  }

  /** A string field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A bytes field, referencing `value` without copying. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.flushScratch();
    this.push(value);
    return this;
  }

  /** A packed repeated int64 field. */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoMessage();
    for (const v of values) inner.varint(v);
    inner.flushScratch();
    return this.message(field, inner);
  }

  /** An embedded message field. */
  message(field: number, value: ProtoMessage): this {
    value.flushScratch();
    this.tag(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.flushScratch();
    for (const c of value.chunks) this.push(c);
    return this;
  }

  /** The message as one buffer. */
  finish(): Uint8Array {
    this.flushScratch();
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
