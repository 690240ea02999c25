// GEMV for one activation row on CPU-shaped adapters (SwiftShader, llvmpipe): y[r, n] = Σ_k x[r, k] · W[n, k] (+ bias[n]).
// Selected by the ROWS define (gemv.tune.json); gemv.wgsl serves everything else.
//
// Such adapters run a workgroup's invocations 4 to a SIMD register on one CPU thread and emulate
// what GPUs have in hardware: a workgroup barrier is a coroutine switch, a private array indexed
// at run time lives in memory, and every storage read is a bounds-checked gather. So this kernel
// has none of the first two and as few of the third as the data allows: each invocation owns
// 4, 8 or 16 whole weight rows (RPT; groups of 4 switched on by the G2 / G4 defines, which the
// op derives from RPT) in straight-line code, reads each block of activations once for all of
// them (`x_block`, passed on by pointer: by value it would be copied per row), and dots each
// row's block with it (`w_block_dot`, from the type's quant/block-dot/ snippet, which folds the
// block's scale and offset in once per block instead of once per value). On SwiftShader this
// runs Q4_0 decode shapes 2–3× faster than gemv.wgsl's best candidate.
//
// Serves one activation row per dispatch row block (ROWS batch tiles run gemm-rows.wgsl; the
// grid still holds m blocks of workgroups along n, as gemv.wgsl's does); TPR = 1.

override WG: u32 = 16;

#if G4
const ROWS_PER_INVOCATION: u32 = 16u;
#else
#if G2
const ROWS_PER_INVOCATION: u32 = 8u;
#else
const ROWS_PER_INVOCATION: u32 = 4u;
#endif
#endif

// Params p and the bindings wq, x, y, bias: matmul/bindings.wgsl; group_row_bytes and store_row:
// matmul/row-groups.wgsl.

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let wg_all = wid.x + wid.y * p.groups_x;
  let r = wg_all / p.groups_n; // activation row (< m: the grid holds m blocks of groups_n)
  let row0 = ((wg_all % p.groups_n) * WG + t) * ROWS_PER_INVOCATION;
  let x0 = r * (p.k / 4u);
  let blocks = p.k / (8u * BLOCK_OCTETS);
  let rb0 = group_row_bytes(row0);
  var acc0 = vec4<f32>();
#if G2
  let rb1 = group_row_bytes(row0 + 4u);
  var acc1 = vec4<f32>();
#endif
#if G4
  let rb2 = group_row_bytes(row0 + 8u);
  let rb3 = group_row_bytes(row0 + 12u);
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
#endif
  for (var b = 0u; b < blocks; b++) {
    var xs = x_block(x0 + b * 2u * BLOCK_OCTETS);
    acc0 += group_dot(rb0, b, &xs);
#if G2
    acc1 += group_dot(rb1, b, &xs);
#endif
#if G4
    acc2 += group_dot(rb2, b, &xs);
    acc3 += group_dot(rb3, b, &xs);
#endif
  }
  store_row(r, row0, acc0);
#if G2
  store_row(r, row0 + 4u, acc1);
#endif
#if G4
  store_row(r, row0 + 8u, acc2);
  store_row(r, row0 + 12u, acc3);
#endif
}

/** Block b of four rows dotted with the block's activations. */
fn group_dot(rb: vec4<u32>, b: u32, xs: ptr<function, XBlock>) -> vec4<f32> {
  return vec4<f32>(
    w_block_dot(w_block(rb.x, b), xs),
    w_block_dot(w_block(rb.y, b), xs),
    w_block_dot(w_block(rb.z, b), xs),
    w_block_dot(w_block(rb.w, b), xs),
  );
}
