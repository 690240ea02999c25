// Matmul for prefill and batched decode on CPU-shaped adapters (SwiftShader, llvmpipe):
// y[r, n] = Σ_k x[r, k] · W[n, k] (+ bias[n]). Selected by the ROWS define among the GEMM
// candidates (gemm.tune.json) and, for GEMV batch tiles of 2–16 rows, among the GEMV ones; see
// gemv-rows.wgsl for why such adapters want straight-line code with no workgroup memory,
// barriers or private arrays.
//
// Each invocation owns a register tile of RPT weight rows (4, or 8 with the W2 define) × M_TILE
// activation rows (4, 8 with the G2 define, 16 with G2 and G4; the op derives the defines from
// RPT and M_TILE): per weight block it reads the rows' blocks once, and per 8-value octet it
// dequantizes them once (`w_block_octet`, quant/<type>.wgsl) and dots them with every
// activation row's octet. Dequantization is shared by M_TILE rows and each activation octet by
// RPT weight rows, so a multiply-add costs about a third of a decode GEMV's.
//
// The grid holds ⌈m / M_TILE⌉ blocks of `groups_n` workgroups; TPR = 1.

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

#if W2
const W_ROWS: u32 = 8u;
/** An activation row's accumulators: column j holds weight rows 4j .. 4j + 3 of the tile. */
alias Acc = mat2x4<f32>;
#else
const W_ROWS: u32 = 4u;
alias Acc = vec4<f32>;
#endif

// Params p and the bindings wq, x, y, bias: matmul/bindings.wgsl; group_row_bytes and store_row:
// matmul/row-groups.wgsl.

/** One octet of four weight rows, dequantized. */
struct Octets4 {
  a: Octet,
  b: Octet,
  c: Octet,
  d: Octet,
}

/** One octet of the tile's weight rows, dequantized. */
struct TileOctets {
  lo: Octets4,
#if W2
  hi: Octets4,
#endif
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let wg_all = wid.x + wid.y * p.groups_x;
  let m0 = (wg_all / p.groups_n) * M_ROWS;
  let row0 = ((wg_all % p.groups_n) * WG + t) * W_ROWS;
  let rb = group_row_bytes(row0);
#if W2
  let rb2 = group_row_bytes(row0 + 4u);
#endif
  // x offsets (vec4 units) of the tile's activation rows; rows past m read row m − 1.
  let k4 = p.k / 4u;
  let last = p.m - 1u;
  let xa = min(vec4<u32>(m0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last)) * k4;
  var acc0 = Acc();
  var acc1 = Acc();
  var acc2 = Acc();
  var acc3 = Acc();
#if G2
  let xb = min(vec4<u32>(m0) + vec4<u32>(4u, 5u, 6u, 7u), vec4<u32>(last)) * k4;
  var acc4 = Acc();
  var acc5 = Acc();
  var acc6 = Acc();
  var acc7 = Acc();
#endif
#if G4
  let xc = min(vec4<u32>(m0) + vec4<u32>(8u, 9u, 10u, 11u), vec4<u32>(last)) * k4;
  let xd = min(vec4<u32>(m0) + vec4<u32>(12u, 13u, 14u, 15u), vec4<u32>(last)) * k4;
  var acc8 = Acc();
  var acc9 = Acc();
  var acc10 = Acc();
  var acc11 = Acc();
  var acc12 = Acc();
  var acc13 = Acc();
  var acc14 = Acc();
  var acc15 = Acc();
#endif
  let blocks = p.k / (8u * BLOCK_OCTETS);
  for (var b = 0u; b < blocks; b++) {
    let w0 = w_block(rb.x, b);
    let w1 = w_block(rb.y, b);
    let w2 = w_block(rb.z, b);
    let w3 = w_block(rb.w, b);
#if W2
    let v0 = w_block(rb2.x, b);
    let v1 = w_block(rb2.y, b);
    let v2 = w_block(rb2.z, b);
    let v3 = w_block(rb2.w, b);
#endif
    for (var s = 0u; s < BLOCK_OCTETS; s++) {
      var o = TileOctets(
        Octets4(w_block_octet(w0, s), w_block_octet(w1, s), w_block_octet(w2, s), w_block_octet(w3, s)),
#if W2
        Octets4(w_block_octet(v0, s), w_block_octet(v1, s), w_block_octet(v2, s), w_block_octet(v3, s)),
#endif
      );
      let xo = (b * BLOCK_OCTETS + s) * 2u;
      acc0 += tile_dots(&o, xa.x + xo);
      acc1 += tile_dots(&o, xa.y + xo);
      acc2 += tile_dots(&o, xa.z + xo);
      acc3 += tile_dots(&o, xa.w + xo);
#if G2
      acc4 += tile_dots(&o, xb.x + xo);
      acc5 += tile_dots(&o, xb.y + xo);
      acc6 += tile_dots(&o, xb.z + xo);
      acc7 += tile_dots(&o, xb.w + xo);
#endif
#if G4
      acc8 += tile_dots(&o, xc.x + xo);
      acc9 += tile_dots(&o, xc.y + xo);
      acc10 += tile_dots(&o, xc.z + xo);
      acc11 += tile_dots(&o, xc.w + xo);
      acc12 += tile_dots(&o, xd.x + xo);
      acc13 += tile_dots(&o, xd.y + xo);
      acc14 += tile_dots(&o, xd.z + xo);
      acc15 += tile_dots(&o, xd.w + xo);
#endif
    }
  }
  store_tile(m0, row0, acc0);
  store_tile(m0 + 1u, row0, acc1);
  store_tile(m0 + 2u, row0, acc2);
  store_tile(m0 + 3u, row0, acc3);
#if G2
  store_tile(m0 + 4u, row0, acc4);
  store_tile(m0 + 5u, row0, acc5);
  store_tile(m0 + 6u, row0, acc6);
  store_tile(m0 + 7u, row0, acc7);
#endif
#if G4
  store_tile(m0 + 8u, row0, acc8);
  store_tile(m0 + 9u, row0, acc9);
  store_tile(m0 + 10u, row0, acc10);
  store_tile(m0 + 11u, row0, acc11);
  store_tile(m0 + 12u, row0, acc12);
  store_tile(m0 + 13u, row0, acc13);
  store_tile(m0 + 14u, row0, acc14);
  store_tile(m0 + 15u, row0, acc15);
#endif
}

/** The tile's weight octet dotted with the activation octet at vec4 index `xi`. */
fn tile_dots(o: ptr<function, TileOctets>, xi: u32) -> Acc {
  let xl = x[xi];
  let xh = x[xi + 1u];
#if W2
  return Acc(quad_dots(&(*o).lo, xl, xh), quad_dots(&(*o).hi, xl, xh));
#else
  return quad_dots(&(*o).lo, xl, xh);
#endif
}

/** Four weight rows' octets dotted with one activation octet (xl: values 0–3, xh: 4–7). */
fn quad_dots(o: ptr<function, Octets4>, xl: vec4<f32>, xh: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(
    dot((*o).a.lo, xl) + dot((*o).a.hi, xh),
    dot((*o).b.lo, xl) + dot((*o).b.hi, xh),
    dot((*o).c.lo, xl) + dot((*o).c.hi, xh),
    dot((*o).d.lo, xl) + dot((*o).d.hi, xh),
  );
}

/** Activation row r's accumulators into y (rows past m are not stored). */
fn store_tile(r: u32, first: u32, acc: Acc) {
#if W2
  store_row(r, first, acc[0]);
  store_row(r, first + 4u, acc[1]);
#else
  store_row(r, first, acc);
#endif
}
