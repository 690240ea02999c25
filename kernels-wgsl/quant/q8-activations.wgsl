// Activations rounded to 8 bits per block of 32, as llama.cpp's CPU path rounds them before a
// dot with q4_0 weights (block_q8_0 in ggml-common.h; quantize_row_q8_0 in ggml-cpu's x86
// quants.c: id = 127 / amax, q = round-to-nearest-even(x · id), stored scale d = f16(amax / 127)).
// Read from the including kernel's `x: array<vec4<f32>>` binding. Used by matmul/gemv-swar-q4_0.wgsl
// (integer dots over q) and matmul/x-q8.wgsl (q · d written back as f32 for the other kernels),
// so every q4_0 matmul of a device that rounds activations sees the same values.

/** One block: q0 holds values 0–3 as whole numbers in −127..127, …, q7 values 28–31; d the scale. */
struct Q8Block {
  q0: vec4<f32>,
  q1: vec4<f32>,
  q2: vec4<f32>,
  q3: vec4<f32>,
  q4: vec4<f32>,
  q5: vec4<f32>,
  q6: vec4<f32>,
  q7: vec4<f32>,
  d: f32,
}

/** The 32 activations from vec4 index `i` of `x`, rounded. */
fn x_q8(i: u32) -> Q8Block {
  let v0 = x[i];
  let v1 = x[i + 1u];
  let v2 = x[i + 2u];
  let v3 = x[i + 3u];
  let v4 = x[i + 4u];
  let v5 = x[i + 5u];
  let v6 = x[i + 6u];
  let v7 = x[i + 7u];
  let m = max(max(max(abs(v0), abs(v1)), max(abs(v2), abs(v3))), max(max(abs(v4), abs(v5)), max(abs(v6), abs(v7))));
  let amax = max(max(m.x, m.y), max(m.z, m.w));
  let id = select(0.0, 127.0 / amax, amax > 0.0);
  let d = unpack2x16float(pack2x16float(vec2<f32>(amax / 127.0, 0.0))).x;
  return Q8Block(round(v0 * id), round(v1 * id), round(v2 * id), round(v3 * id), round(v4 * id), round(v5 * id), round(v6 * id), round(v7 * id), d);
}
