// Elementwise add over f32 rows: out = a + b, or in place a += b (IN_PLACE). `b` is read
// with index i % bLen, so bLen = n is a plain add (residual connection) and bLen = columns
// broadcasts a bias row over every row. GATED scales b by sigmoid of one gate logit per row
// of rowLen values, gate[row·gateStride + gateOffset] (qwen2moe's shared expert, llama.cpp
// build_moe_ffn: ffn_out += sigmoid(ffn_gate_inp_shexp·h) · shexp_out). Each thread handles
// VPT values, WG apart.
override WG: u32 = 256u;
override VPT: u32 = 4u;

struct Params {
  n: u32,           // values to write
  bLen: u32,        // period of b (n, or the row length for a bias)
  rowLen: u32,      // GATED: values per gate logit
  gateStride: u32,  // GATED: elements between rows' gate logits
  gateOffset: u32,  // GATED: element index of row 0's gate logit
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
#if IN_PLACE
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
#else
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
#endif
#if GATED
@group(0) @binding(4) var<storage, read> gate: array<f32>;
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let base = (wid.y * nwg.x + wid.x) * WG * VPT + lid;
  for (var k = 0u; k < VPT; k++) {
    let i = base + k * WG;
    if (i < P.n) {
#if GATED
      let g = gate[(i / P.rowLen) * P.gateStride + P.gateOffset];
      let v = a[i] + b[i % P.bLen] / (1.0 + exp(-g));
#else
      let v = a[i] + b[i % P.bLen];
#endif
#if IN_PLACE
      a[i] = v;
#else
      out[i] = v;
#endif
    }
  }
}
