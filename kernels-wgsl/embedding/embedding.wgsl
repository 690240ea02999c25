// Embedding lookup: out[r][c] = table[ids[r]][c], dequantized from the table's GGUF layout
// (quant/common.wgsl + quant/<type>.wgsl concatenated before this file define `w_octet`
// over the `wq` binding). One thread per 8 consecutive values of an output row.
// Ids ≥ vocab (a caller bug) produce a zero row rather than reading another tensor's bytes.
override WG: u32 = 64u;

struct Params {
  rows: u32,
  dim: u32,       // values per row, a multiple of 8 (and of the type's block size)
  rowBytes: u32,  // bytes per table row
  vocab: u32,
  outStride: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> wq: array<u32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let octets = P.dim / 8u;
  let t = (wid.y * nwg.x + wid.x) * WG + lid;
  if (t >= P.rows * octets) {
    return;
  }
  let r = t / octets;
  let kk = (t - r * octets) * 8u;
  let id = ids[r];
  var o = Octet(vec4<f32>(0.0), vec4<f32>(0.0));
  if (id < P.vocab) {
    o = w_octet(id * P.rowBytes, kk);
  }
  let b = r * P.outStride + kk;
  out[b] = o.lo.x;
  out[b + 1u] = o.lo.y;
  out[b + 2u] = o.lo.z;
  out[b + 3u] = o.lo.w;
  out[b + 4u] = o.hi.x;
  out[b + 5u] = o.hi.y;
  out[b + 6u] = o.hi.z;
  out[b + 7u] = o.hi.w;
}
