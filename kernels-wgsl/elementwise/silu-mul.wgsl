// SwiGLU's gating: out[r][c] = silu(gate[r][c]) · up[r][c], silu(x) = x / (1 + e^-x).
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
      out[r * P.outStride + c] = g / (1.0 + exp(-g)) * u;
    }
  }
}
