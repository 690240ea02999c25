// Sums the SPLIT_K partial planes a split-K matmul wrote (plane s = part[s·count ..]) into y
// and adds the bias: y[r, n] = Σ_s part[s, r, n] + bias[n].
override WG: u32 = 256;

struct Params {
  count: u32, // m · n
  n: u32,
  splits: u32,
  // bit 0: add bias
  flags: u32,
  groups_x: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let i = (wid.x + wid.y * p.groups_x) * WG + t;
  if (i >= p.count) {
    return;
  }
  var s = 0.0;
  for (var q = 0u; q < p.splits; q++) {
    s += part[q * p.count + i];
  }
  if ((p.flags & 1u) != 0u) {
    s += bias[i % p.n];
  }
  y[i] = s;
}
