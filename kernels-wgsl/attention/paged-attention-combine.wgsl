// Merges Flash-Decoding splits (Dao et al. 2023) written by paged-attention.wgsl:
// out = Σ_s e^(m_s − M) o_s / Σ_s e^(m_s − M) l_s, M = max over splits that saw keys (l_s > 0).
// One thread per output vec4 (partials are (HD/4 + 1) vec4s: outputs, then (m, l, 0, 0)).
override WG: u32 = 64u;

struct Params {
  rowStart: u32,
  rowCount: u32,
  nHeads: u32,
  hd4: u32,       // headDim / 4
  numSplits: u32,
  oStride: u32,   // in vec4s
  oOffset: u32,   // in vec4s
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> partial: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * WG + lid;
  if (t >= P.rowCount * P.nHeads * P.hd4) {
    return;
  }
  let d = t % P.hd4;
  let rh = t / P.hd4;
  let h = rh % P.nHeads;
  let r = P.rowStart + rh / P.nHeads;
  let stride = P.hd4 + 1u;
  let base = (r * P.nHeads + h) * P.numSplits;
  var m = -3.0e38;
  for (var s = 0u; s < P.numSplits; s++) {
    let ml = partial[(base + s) * stride + P.hd4];
    if (ml.y > 0.0) {
      m = max(m, ml.x);
    }
  }
  var num = vec4<f32>(0.0);
  var den = 0.0;
  for (var s = 0u; s < P.numSplits; s++) {
    let pb = (base + s) * stride;
    let ml = partial[pb + P.hd4];
    if (ml.y > 0.0) {
      let w = exp(ml.x - m);
      num += w * partial[pb + d];
      den += w * ml.y;
    }
  }
  out[r * P.oStride + P.oOffset + h * P.hd4 + d] = num / den;
}
