// RMSNorm (Zhang & Sennrich 2019, as llama.cpp's ggml_rms_norm then a weight multiply):
//   y = x / sqrt(mean(x²) + eps) · w
// over groups of `dim` values. A group is one row (dim = hidden size) or one head of a row
// (dim = headDim, groupsPerRow = heads: qwen3's per-head q/k norm, weight shared by heads).
// Group g = (row, j) reads x[row·xStride + xOffset + j·dim + c] and writes the same
// addressing in `out` (oStride, oOffset), so a norm can run in place inside a fused buffer.
// RESIDUAL first adds `delta` into x and stores the sum back (h += attn_out; y = norm(h)),
// fusing the residual add into the norm. One workgroup per group; WG threads stride the group.
override WG: u32 = 64u;

struct Params {
  groups: u32,        // rows · groupsPerRow
  groupsPerRow: u32,
  dim: u32,
  xStride: u32,
  xOffset: u32,
  oStride: u32,
  oOffset: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
#if IN_PLACE
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
#else
#if RESIDUAL
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read> delta: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
#else
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
#endif
#endif

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.y * nwg.x + wid.x;
  if (g >= P.groups) {
    return;
  }
  let row = g / P.groupsPerRow;
  let j = g - row * P.groupsPerRow;
  let xb = row * P.xStride + P.xOffset + j * P.dim;
  var ss = 0.0;
  for (var c = lid; c < P.dim; c += WG) {
#if RESIDUAL
    let v = x[xb + c] + delta[xb + c];
    x[xb + c] = v;
#else
    let v = x[xb + c];
#endif
    ss += v * v;
  }
  partial[lid] = ss;
  workgroupBarrier();
  // Tree reduction; WG is a power of two.
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      partial[lid] += partial[lid + s];
    }
    workgroupBarrier();
  }
  let inv = inverseSqrt(partial[0] / f32(P.dim) + P.eps);
#if IN_PLACE
  for (var c = lid; c < P.dim; c += WG) {
    x[xb + c] = x[xb + c] * inv * w[c];
  }
#else
  let ob = row * P.oStride + P.oOffset + j * P.dim;
  for (var c = lid; c < P.dim; c += WG) {
    out[ob + c] = x[xb + c] * inv * w[c];
  }
#endif
}
