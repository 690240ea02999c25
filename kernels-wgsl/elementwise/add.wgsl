// Elementwise add over f32 rows: out = a + b, or in place a += b (IN_PLACE). `b` is read
// with index i % bLen, so bLen = n is a plain add (residual connection) and bLen = columns
// broadcasts a bias row over every row. Each thread handles VPT values, WG apart.
override WG: u32 = 256u;
override VPT: u32 = 4u;

struct Params {
  n: u32,     // values to write
  bLen: u32,  // period of b (n, or the row length for a bias)
  _pad0: u32,
  _pad1: u32,
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

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let base = (wid.y * nwg.x + wid.x) * WG * VPT + lid;
  for (var k = 0u; k < VPT; k++) {
    let i = base + k * WG;
    if (i < P.n) {
      let v = a[i] + b[i % P.bLen];
#if IN_PLACE
      a[i] = v;
#else
      out[i] = v;
#endif
    }
  }
}
