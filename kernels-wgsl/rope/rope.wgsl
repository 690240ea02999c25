// RoPE in place on rows of heads (needs rope/rope-angle.wgsl concatenated before it).
// Head h of row r is x[r·rowStride + offset + h·headDim + d]; its position is
// positions[r·posStride + posOffset] (posStride 2, posOffset 1 reads the (slot, position)
// row info the attention ops use). One thread per (row, head, pair); dims ≥ nRot untouched.
override WG: u32 = 64u;

struct Params {
  rows: u32,
  nHeads: u32,
  headDim: u32,
  nRot: u32,
  rowStride: u32,
  offset: u32,
  posStride: u32,
  posOffset: u32,
  neox: u32,
  _pad0: u32,
  log2Base: f32,
  freqScale: f32,
  magnitude: f32,  // ggml rope's attn_factor: cos and sin are multiplied by it
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<u32>;
#if FREQ_FACTORS
@group(0) @binding(3) var<storage, read> freqFactors: array<f32>;
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let half = P.nRot / 2u;
  let t = (wid.y * nwg.x + wid.x) * WG + lid;
  if (t >= P.rows * P.nHeads * half) {
    return;
  }
  let i = t % half;
  let rh = t / half;
  let h = rh % P.nHeads;
  let r = rh / P.nHeads;
  let pos = positions[r * P.posStride + P.posOffset];
#if FREQ_FACTORS
  let factor = freqFactors[i];
#else
  let factor = 1.0;
#endif
  let cs = P.magnitude * rope_cos_sin(pos, i, P.nRot, P.log2Base, P.freqScale, factor);
  let pr = rope_pair(i, P.nRot, P.neox != 0u);
  let b = r * P.rowStride + P.offset + h * P.headDim;
  let y = rope_rotate(vec2f(x[b + pr.x], x[b + pr.y]), cs);
  x[b + pr.x] = y.x;
  x[b + pr.y] = y.y;
}
