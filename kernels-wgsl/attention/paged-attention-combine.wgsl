// Merges Flash-Decoding splits (Dao et al. 2023) written by paged-attention.wgsl:
// out = Σ_s e^(m_s − M) o_s / Σ_s e^(m_s − M) l_s, M = max over splits that saw keys (l_s > 0).
// One thread per output value.
override WG: u32 = 64u;

struct Params {
  rowStart: u32,
  rowCount: u32,
  nHeads: u32,
  headDim: u32,
  numSplits: u32,
  oStride: u32,
  oOffset: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * WG + lid;
  if (t >= P.rowCount * P.nHeads * P.headDim) {
    return;
  }
  let d = t % P.headDim;
  let rh = t / P.headDim;
  let h = rh % P.nHeads;
  let r = P.rowStart + rh / P.nHeads;
  let stride = P.headDim + 2u;
  let base = (r * P.nHeads + h) * P.numSplits;
  var m = -3.0e38;
  for (var s = 0u; s < P.numSplits; s++) {
    let pb = (base + s) * stride;
    if (partial[pb + P.headDim + 1u] > 0.0) {
      m = max(m, partial[pb + P.headDim]);
    }
  }
  var num = 0.0;
  var den = 0.0;
  for (var s = 0u; s < P.numSplits; s++) {
    let pb = (base + s) * stride;
    let l = partial[pb + P.headDim + 1u];
    if (l > 0.0) {
      let w = exp(partial[pb + P.headDim] - m);
      num += w * partial[pb + d];
      den += w * l;
    }
  }
  out[r * P.oStride + P.oOffset + h * P.headDim + d] = num / den;
}
