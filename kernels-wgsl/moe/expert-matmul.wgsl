// Expert matmul over routed rows (packages/gpu/src/ops/moe/expert-matmul.ts records it):
//   y[a][j] = Σ_c W_e[j][c] · x[row(a)·x_row_stride + slot(a)·x_slot_stride + c]
// for every assignment a = row·topk + slot routed to expert e (gating.wgsl's groups buffer).
// W is one 3-D GGUF tensor [experts][n][k] (ffn_{gate,up,down}_exps; expert e's matrix starts
// at byte e·expert_bytes) in its stored type, dequantized by `w_octet` from quant/<dtype>.wgsl
// (concatenated before this file with quant/common.wgsl). Workgroup (tile, e) computes RPW
// output rows of expert e for all of e's assignments, ABATCH at a time, reading each weight
// octet once per batch; an expert nobody picked costs one read of its count: only selected
// experts' weights are read. Requires k % 8 == 0. A tensor too large for one storage binding
// is bound in expert ranges, one dispatch each (first_expert = the range's first global id).

override WG: u32 = 64u;   // invocations per workgroup
override RPW: u32 = 4u;   // output rows per workgroup; WG / RPW lanes split k (power of two)
const ABATCH: u32 = 8u;   // assignments accumulated per pass over the weights

struct MoeDims {
  n: u32,
  k: u32,
  topk: u32,
  experts: u32,
  expert_bytes: u32,
  row_bytes: u32,
  x_row_stride: u32,
  x_slot_stride: u32,
  first_expert: u32,  // global id of the bound tensor part's first expert
  base_byte: u32,     // byte offset of that expert's data inside the binding
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> dims: MoeDims;
@group(0) @binding(1) var<storage, read> wq: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> groups: array<u32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

var<workgroup> part: array<f32, WG * ABATCH>;
var<workgroup> wg_count: u32;

fn x4(i: u32) -> vec4<f32> {
  return vec4<f32>(x[i], x[i + 1u], x[i + 2u], x[i + 3u]);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) tid: u32) {
  let e = wid.y + dims.first_expert; // `experts` counts the routing's experts (groups layout)
  if (tid == 0u) {
    wg_count = groups[e];
  }
  let count = workgroupUniformLoad(&wg_count);
  let off = groups[dims.experts + e];
  let list = 2u * dims.experts + 1u;
  let tpr = WG / RPW;
  let lane = tid % tpr;
  let j = wid.x * RPW + tid / tpr;
  let row_byte = dims.base_byte + wid.y * dims.expert_bytes + j * dims.row_bytes;
  for (var a0 = 0u; a0 < count; a0 += ABATCH) {
    let na = min(ABATCH, count - a0);
    // Explicitly zeroed per batch: WGSL zero-initialises a declaration each time it runs, but
    // Dawn/SwiftShader carried the previous batch's values over (wrong sums past 8 assignments).
    var xb = array<u32, ABATCH>();
    var acc = array<f32, ABATCH>();
    for (var q = 0u; q < na; q++) {
      let asg = groups[list + off + a0 + q];
      xb[q] = (asg / dims.topk) * dims.x_row_stride + (asg % dims.topk) * dims.x_slot_stride;
    }
    if (j < dims.n) {
      for (var kk = lane * 8u; kk < dims.k; kk += tpr * 8u) {
        let w = w_octet(row_byte, kk);
        for (var q = 0u; q < na; q++) {
          let b = xb[q] + kk;
          acc[q] += dot(w.lo, x4(b)) + dot(w.hi, x4(b + 4u));
        }
      }
    }
    for (var q = 0u; q < ABATCH; q++) {
      part[tid * ABATCH + q] = acc[q];
    }
    workgroupBarrier();
    for (var s = tpr / 2u; s > 0u; s = s >> 1u) {
      if (lane < s) {
        for (var q = 0u; q < ABATCH; q++) {
          part[tid * ABATCH + q] += part[(tid + s) * ABATCH + q];
        }
      }
      workgroupBarrier();
    }
    if (lane == 0u && j < dims.n) {
      for (var q = 0u; q < na; q++) {
        y[groups[list + off + a0 + q] * dims.n + j] = part[tid * ABATCH + q];
      }
    }
    workgroupBarrier();
  }
}
