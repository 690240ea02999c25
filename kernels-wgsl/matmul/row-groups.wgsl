// Row bookkeeping shared by the CPU-shaped kernels that own whole groups of 4 weight rows per
// invocation (gemv-rows.wgsl, gemv-swar-q4_0.wgsl, gemm-rows.wgsl). Prepended by the op after
// bindings.wgsl.

/** Byte offsets of weight rows first .. first + 3; rows past n read row n − 1 (never stored). */
fn group_row_bytes(first: u32) -> vec4<u32> {
  return min(vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.n - 1u)) * p.row_bytes;
}

/** y[r, first .. first + 3] = acc (+ bias), for the activation row and weight rows that exist. */
fn store_row(r: u32, first: u32, acc: vec4<f32>) {
  if (r >= p.m) {
    return;
  }
  let add_bias = (p.flags & 1u) != 0u;
  for (var i = 0u; i < 4u; i++) {
    if (first + i < p.n) {
      var v = acc[i];
      if (add_bias) {
        v += bias[first + i];
      }
      y[r * p.n + first + i] = v;
    }
  }
}
