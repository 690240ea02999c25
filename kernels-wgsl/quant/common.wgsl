// Shared helpers for reading GGUF weight bytes from a `wq: array<u32>` storage binding,
// which the including kernel declares (e.g. `@group(0) @binding(1) var<storage, read> wq: array<u32>;`).
// GGUF packs blocks back to back (q4_0 = 18 bytes, q8_0 = 34, q6_k = 210), so fields sit at
// any even byte offset: these helpers assemble u16/u32 values across word boundaries.
// Words are little-endian, as GGUF tensor data is.
//
// Every quant/<type>.wgsl snippet defines, on top of this file:
//   fn w_octet(row_byte: u32, kk: u32) -> Octet
// the 8 dequantized values kk .. kk+7 (kk a multiple of 8) of the weight row starting at
// byte `row_byte` of `wq`, with exactly the arithmetic of ggml's dequantize_row_* (see the CPU
// reference, packages/gpu/src/quant/dequantize.ts).

/** Eight consecutive dequantized values. */
struct Octet {
  lo: vec4<f32>,
  hi: vec4<f32>,
}

/** The u32 starting at an even byte offset (two words when the offset is 2 mod 4). */
fn wq_u32_even(byte: u32) -> u32 {
  let w = byte >> 2u;
  if ((byte & 2u) == 0u) {
    return wq[w];
  }
  return (wq[w] >> 16u) | (wq[w + 1u] << 16u);
}

/** Eight bytes starting at an even byte offset, as two little-endian words. */
fn wq_u64_even(byte: u32) -> vec2<u32> {
  let w = byte >> 2u;
  let a = wq[w];
  let b = wq[w + 1u];
  if ((byte & 2u) == 0u) {
    return vec2<u32>(a, b);
  }
  let c = wq[w + 2u];
  return vec2<u32>((a >> 16u) | (b << 16u), (b >> 16u) | (c << 16u));
}

/** The byte at any offset. */
fn wq_u8(byte: u32) -> u32 {
  return (wq[byte >> 2u] >> ((byte & 3u) * 8u)) & 0xffu;
}

/** The f16 at an even byte offset, as f32 (no shader-f16 needed). */
fn wq_f16(byte: u32) -> f32 {
  return unpack2x16float(wq[byte >> 2u] >> ((byte & 2u) * 8u)).x;
}

/** The four bytes of a word as unsigned values. */
fn bytes4(w: u32) -> vec4<u32> {
  return (vec4<u32>(w) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu);
}

/** The four bytes of a word as signed (int8) values. */
fn sbytes4(w: u32) -> vec4<i32> {
  return bitcast<vec4<i32>>(vec4<u32>(w) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u);
}
