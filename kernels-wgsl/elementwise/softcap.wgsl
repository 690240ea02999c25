// Logit soft-capping in place (Gemma 2 and 3's final logits, llama.cpp: scale by 1/c, tanh, scale
// by c): x[i] = c·tanh(x[i] / c) for i < n, tanh from exp of a non-positive argument (no
// overflow), the sign put back. Each thread handles VPT values, WG apart.
override WG: u32 = 256u;
override VPT: u32 = 4u;

struct Params {
  n: u32,
  _pad0: u32,
  cap: f32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let base = (wid.y * nwg.x + wid.x) * WG * VPT + lid;
  for (var k = 0u; k < VPT; k++) {
    let i = base + k * WG;
    if (i < P.n) {
      let z = x[i] / P.cap;
      let t = exp(-2.0 * abs(z));
      x[i] = sign(z) * P.cap * (1.0 - t) / (1.0 + t);
    }
  }
}
