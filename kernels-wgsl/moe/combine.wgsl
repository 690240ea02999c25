// Weighted sum of the routed experts' outputs (packages/gpu/src/ops/moe/expert-matmul.ts):
//   out[row][j] = Σ_slot weight[row·topk + slot] · y[(row·topk + slot)·n + j]   (+ out[row][j] with ACCUMULATE)
// One invocation per output value; slots are summed in order, so the result is deterministic.

override WG: u32 = 64u;

struct CombineDims {
  rows: u32,
  n: u32,
  topk: u32,
  grid_x: u32,
}

@group(0) @binding(0) var<uniform> dims: CombineDims;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) tid: u32) {
  let i = (wid.y * dims.grid_x + wid.x) * WG + tid;
  if (i >= dims.rows * dims.n) {
    return;
  }
  let row = i / dims.n;
  let j = i % dims.n;
  var s = 0.0;
  for (var q = 0u; q < dims.topk; q++) {
    let a = row * dims.topk + q;
    s += weights[a] * y[a * dims.n + j];
  }
#if ACCUMULATE
  out[i] += s;
#else
  out[i] = s;
#endif
}
