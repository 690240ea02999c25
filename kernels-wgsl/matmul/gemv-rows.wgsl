// GEMV for one activation row on CPU-shaped adapters (SwiftShader, llvmpipe): y[r, n] = Σ_k x[r, k] · W[n, k] (+ bias[n]).
// Selected by the ROWS define (gemv.tune.json); gemv.wgsl serves everything else.
//
// Such adapters run a workgroup's invocations 4 to a SIMD register on one CPU thread and emulate
// what GPUs have in hardware: a workgroup barrier is a coroutine switch, a private array indexed
// at run time lives in memory, and every storage read is a bounds-checked gather. So this kernel
// has none of the first two and as few of the third as the data allows: each invocation owns 4
// whole weight rows in straight-line code, reads each block of activations once for all 4
// (`x_block`), and dots each row's block with it (`w_block_dot`, from the type's quant snippet,
// which folds the block's scale and offset in once per block instead of once per value).
// On SwiftShader this runs Q4_0 decode shapes 2–3× faster than gemv.wgsl's best candidate.
//
// Requires m = 1 per dispatch row block (the op compiles ROWS only for M_TILE = 1; the grid
// still holds m blocks of workgroups along n, as gemv.wgsl's does), TPR = 1, RPT = 4.

override WG: u32 = 16;

struct Params {
  m: u32,
  k: u32,
  n: u32,
  // bit 0: add bias
  flags: u32,
  row_bytes: u32,
  groups_x: u32,
  // workgroups along n; the activation row of a workgroup is its linear index / groups_n
  groups_n: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> wq: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let wg_all = wid.x + wid.y * p.groups_x;
  let r = wg_all / p.groups_n; // activation row
  let row0 = ((wg_all % p.groups_n) * WG + t) * 4u;
  let last = p.n - 1u; // rows past n read row n − 1 and are not stored
  let rows = min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last));
  let rb = rows * p.row_bytes;
  let blocks = p.k / (8u * BLOCK_OCTETS);
  let x0 = min(r, p.m - 1u) * (p.k / 4u);
  var acc = vec4<f32>();
  for (var b = 0u; b < blocks; b++) {
    let xs = x_block(x0 + b * 2u * BLOCK_OCTETS);
    acc += vec4<f32>(
      w_block_dot(w_block(rb.x, b), xs),
      w_block_dot(w_block(rb.y, b), xs),
      w_block_dot(w_block(rb.z, b), xs),
      w_block_dot(w_block(rb.w, b), xs),
    );
  }
  if ((p.flags & 1u) != 0u) {
    acc += vec4<f32>(bias[rows.x], bias[rows.y], bias[rows.z], bias[rows.w]);
  }
  if (r >= p.m) {
    return;
  }
  let out = r * p.n + row0;
  if (row0 < p.n) {
    y[out] = acc.x;
  }
  if (row0 + 1u < p.n) {
    y[out + 1u] = acc.y;
  }
  if (row0 + 2u < p.n) {
    y[out + 2u] = acc.z;
  }
  if (row0 + 3u < p.n) {
    y[out + 3u] = acc.w;
  }
}
