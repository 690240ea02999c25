// GEMM for prefill on CPU-shaped adapters (SwiftShader, llvmpipe): y[r, n] = Σ_k x[r, k] · W[n, k] (+ bias[n]).
// Selected by the ROWS define among the GEMM candidates (gemm.tune.json); see gemv-rows.wgsl for
// why such adapters want straight-line code with no workgroup memory, barriers or private arrays.
//
// Each invocation owns a register tile of 4 weight rows × M_TILE activation rows (4, 8 with the
// G2 define, 16 with G2 and G4; the op derives them from M_TILE): per weight block it reads the 4 rows' blocks once,
// and per 8-value octet it dequantizes them once (`w_block_octet`, quant/<type>.wgsl) and dots
// them with every activation row's octet. Dequantization is shared by M_TILE rows and each
// activation octet by 4 weight rows, so a multiply-add costs about half a decode GEMV's.
//
// The grid holds ⌈m / M_TILE⌉ blocks of `groups_n` workgroups; TPR = 1, RPT = 4.

override WG: u32 = 16;

#if G4
const M_ROWS: u32 = 16u;
#else
#if G2
const M_ROWS: u32 = 8u;
#else
const M_ROWS: u32 = 4u;
#endif
#endif

// Params p and the bindings wq, x, y, bias: matmul/bindings.wgsl.

/** One octet of four weight rows, dequantized. */
struct Octets4 {
  a: Octet,
  b: Octet,
  c: Octet,
  d: Octet,
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let wg_all = wid.x + wid.y * p.groups_x;
  let m0 = (wg_all / p.groups_n) * M_ROWS;
  let row0 = ((wg_all % p.groups_n) * WG + t) * 4u;
  let rb = min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.n - 1u)) * p.row_bytes;
  // x offsets (vec4 units) of the tile's activation rows; rows past m read row m − 1.
  let k4 = p.k / 4u;
  let last = p.m - 1u;
  let xa = min(vec4<u32>(m0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last)) * k4;
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
#if G2
  let xb = min(vec4<u32>(m0) + vec4<u32>(4u, 5u, 6u, 7u), vec4<u32>(last)) * k4;
  var acc4 = vec4<f32>();
  var acc5 = vec4<f32>();
  var acc6 = vec4<f32>();
  var acc7 = vec4<f32>();
#endif
#if G4
  let xc = min(vec4<u32>(m0) + vec4<u32>(8u, 9u, 10u, 11u), vec4<u32>(last)) * k4;
  let xd = min(vec4<u32>(m0) + vec4<u32>(12u, 13u, 14u, 15u), vec4<u32>(last)) * k4;
  var acc8 = vec4<f32>();
  var acc9 = vec4<f32>();
  var acc10 = vec4<f32>();
  var acc11 = vec4<f32>();
  var acc12 = vec4<f32>();
  var acc13 = vec4<f32>();
  var acc14 = vec4<f32>();
  var acc15 = vec4<f32>();
#endif
  let blocks = p.k / (8u * BLOCK_OCTETS);
  for (var b = 0u; b < blocks; b++) {
    let w0 = w_block(rb.x, b);
    let w1 = w_block(rb.y, b);
    let w2 = w_block(rb.z, b);
    let w3 = w_block(rb.w, b);
    for (var s = 0u; s < BLOCK_OCTETS; s++) {
      var o = Octets4(w_block_octet(w0, s), w_block_octet(w1, s), w_block_octet(w2, s), w_block_octet(w3, s));
      let xo = (b * BLOCK_OCTETS + s) * 2u;
      acc0 += octet_dots(&o, xa.x + xo);
      acc1 += octet_dots(&o, xa.y + xo);
      acc2 += octet_dots(&o, xa.z + xo);
      acc3 += octet_dots(&o, xa.w + xo);
#if G2
      acc4 += octet_dots(&o, xb.x + xo);
      acc5 += octet_dots(&o, xb.y + xo);
      acc6 += octet_dots(&o, xb.z + xo);
      acc7 += octet_dots(&o, xb.w + xo);
#endif
#if G4
      acc8 += octet_dots(&o, xc.x + xo);
      acc9 += octet_dots(&o, xc.y + xo);
      acc10 += octet_dots(&o, xc.z + xo);
      acc11 += octet_dots(&o, xc.w + xo);
      acc12 += octet_dots(&o, xd.x + xo);
      acc13 += octet_dots(&o, xd.y + xo);
      acc14 += octet_dots(&o, xd.z + xo);
      acc15 += octet_dots(&o, xd.w + xo);
#endif
    }
  }
  store_row(m0, row0, acc0);
  store_row(m0 + 1u, row0, acc1);
  store_row(m0 + 2u, row0, acc2);
  store_row(m0 + 3u, row0, acc3);
#if G2
  store_row(m0 + 4u, row0, acc4);
  store_row(m0 + 5u, row0, acc5);
  store_row(m0 + 6u, row0, acc6);
  store_row(m0 + 7u, row0, acc7);
#endif
#if G4
  store_row(m0 + 8u, row0, acc8);
  store_row(m0 + 9u, row0, acc9);
  store_row(m0 + 10u, row0, acc10);
  store_row(m0 + 11u, row0, acc11);
  store_row(m0 + 12u, row0, acc12);
  store_row(m0 + 13u, row0, acc13);
  store_row(m0 + 14u, row0, acc14);
  store_row(m0 + 15u, row0, acc15);
#endif
}

/** The four weight rows' octet dotted with the activation octet at vec4 index `xi`. */
fn octet_dots(o: ptr<function, Octets4>, xi: u32) -> vec4<f32> {
  let xl = x[xi];
  let xh = x[xi + 1u];
  return vec4<f32>(
    dot((*o).a.lo, xl) + dot((*o).a.hi, xh),
    dot((*o).b.lo, xl) + dot((*o).b.hi, xh),
    dot((*o).c.lo, xl) + dot((*o).c.hi, xh),
    dot((*o).d.lo, xl) + dot((*o).d.hi, xh),
  );
}

/** y[r, first .. first + 3] = acc (+ bias), for the rows and columns that exist. */
fn store_row(r: u32, first: u32, acc: vec4<f32>) {
  if (r >= p.m) {
    return;
  }
  let add_bias = (p.flags & 1u) != 0u;
  for (var i = 0u; i < 4u; i++) {
    if (first + i < p.n) {
      var v = acc[i];
      if (add_bias) {
        v += bias[first + i];
      }
      y[r * p.n + first + i] = v;
    }
  }
}
