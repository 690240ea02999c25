// LEB128 integers and the other primitive encodings of the WebAssembly binary format
// (WebAssembly Core Specification 2.0, §5.2 "Values").

/** Bytes of an unsigned LEB128 integer (values up to 2^32 − 1; larger counts never occur in a module). */
export function uleb(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`uleb: ${value} is not a u32`);
  }
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Bytes of a signed LEB128 integer (i32 range). */
export function sleb(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) {
    throw new RangeError(`sleb: ${value} is not an i32`);
  }
  let v = value | 0; // u32 literals above 2^31 wrap to their i32 bits
  const out: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** Reads an unsigned LEB128 at `at`; returns the value and the offset after it. */
export function readUleb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let result = 0;
  let scale = 1;
  let i = at;
  for (;;) {
    const b = bytes[i++];
    if (b === undefined) throw new RangeError('readUleb: truncated');
    result += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [result, i];
  }
}

/** Reads a signed LEB128 (up to 64 bits, returned as a number when it fits) at `at`. */
export function readSleb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let result = 0n;
  let shift = 0n;
  let i = at;
  let b: number;
  do {
    const next = bytes[i++];
    if (next === undefined) throw new RangeError('readSleb: truncated');
    b = next;
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  } while (b & 0x80);
  if (b & 0x40) result -= 1n << shift;
  return [Number(result), i];
}

/** A name: its UTF-8 length, then the bytes. */
export function name(text: string): number[] {
  const utf8 = [...new TextEncoder().encode(text)];
  return [...uleb(utf8.length), ...utf8];
}

/** A vector: its element count, then the elements' bytes. */
export function vec(items: readonly (readonly number[])[]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** The 4 little-endian bytes of an f32. */
export function f32Bytes(value: number): number[] {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, value, true);
  return [...b];
}
