// SwiGLU's gating: out[r][c] = silu(gate[r][c]) · up[r][c], silu(x) = x / (1 + e^-x); with
// GELU, GeGLU's: gelu(gate)·up with GELU's tanh approximation as ggml's CPU backend computes it
// (ggml-cpu/vec.h with GGML_GELU_FP16: for |x| < 10 a table of f16 values indexed by x rounded
// to f16, so x and the result are rounded to f16 here; 0 below −10, x above 10).
// gate and up are read through (row stride, offset) so both may be halves of one fused
// gate|up matmul output (bind the same buffer twice) or two separate buffers.
override WG: u32 = 256u;
override VPT: u32 = 4u;

struct Params {
  rows: u32,
  cols: u32,
  gateStride: u32,
  gateOffset: u32,
  upStride: u32,
  upOffset: u32,
  outStride: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> gate: array<f32>;
@group(0) @binding(2) var<storage, read> up: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

#if GELU
fn f16_round(x: f32) -> f32 {
  return unpack2x16float(pack2x16float(vec2f(x, 0.0))).x;
}

// x·Φ(x) ≈ x / (1 + e^(−2u)), u = √(2/π)·x·(1 + 0.044715·x²) (= 0.5·x·(1 + tanh u)).
fn gelu(x: f32) -> f32 {
  if (x <= -10.0) {
    return 0.0;
  }
  if (x >= 10.0) {
    return x;
  }
  let h = f16_round(x);
  return f16_round(h / (1.0 + exp(-h * (1.5957691216057308 + 0.07135481627260025 * h * h))));
}
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let n = P.rows * P.cols;
  let base = (wid.y * nwg.x + wid.x) * WG * VPT + lid;
  for (var k = 0u; k < VPT; k++) {
    let i = base + k * WG;
    if (i < n) {
      let r = i / P.cols;
      let c = i - r * P.cols;
      let g = gate[r * P.gateStride + P.gateOffset + c];
      let u = up[r * P.upStride + P.upOffset + c];
#if GELU
      out[r * P.outStride + c] = gelu(g) * u;
#else
      out[r * P.outStride + c] = g / (1.0 + exp(-g)) * u;
#endif
    }
  }
}
