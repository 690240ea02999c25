// GEMV for decode: y[r, n] = Σ_k x[r, k] · W[n, k] (+ bias[n]) for r < m ≤ M_TILE ≤ 16.
// W is in its GGUF layout (row n = `k` values, quantized blocks dequantized here through `w_block` / `w_block_octet` from quant/<dtype>.wgsl, concatenated before this file with quant/common.wgsl).
// Each weight octet is read once and used for every activation row, so the weights (the
// bytes that bound decode speed) stream through exactly once per dispatch.
//
// F16 (needs shader-f16; the op prepends `enable f16;`) forms each 8-term product sum in f16
// (packed math on GPUs that have it) and accumulates those in f32.
// Requires k % 8 == 0, m ≥ 1, RPT ∈ {1, 2, 4}, M_TILE · RPT ≤ 64. With SUBGROUPS the op prepends
// `enable subgroups;` and `diagnostic(off, subgroup_uniformity);` (shuffles run where every
// lane of the subgroup is active, which the uniformity analysis cannot prove).
//
// Work split: a workgroup has WG invocations = (WG / TPR) row groups × TPR lanes. A row group
// owns RPT consecutive weight rows; its TPR lanes stride over the k range in steps of
// UNROLL weight blocks (BLOCK_OCTETS octets of 8 values: a whole 32-value block for q4_0,
// q4_1 and q8_0, read with a few word loads; one octet for the other types) and their
// partial sums are combined at the end (subgroup shuffles where SUBGROUPS is on and the
// subgroup is wide enough, then workgroup memory).
// The op prepends `const ACC_LEN` (= M_TILE · RPT) and `const X_LEN` (= M_TILE), so the
// private arrays are exactly as long as the configuration needs (CPU-shaped adapters keep
// short arrays in registers, long ones in memory).
// Used for m > 16 too (the GEMM space's REGS candidates): the dispatch then holds
// ⌈m / M_TILE⌉ blocks of workgroups, each over all n — a register-tiled GEMM with no workgroup
// memory and no barriers when TPR = 1, which CPU-shaped adapters run best.
// SPLIT_K > 1 splits k across dispatch z; each split writes its own partial plane
// y[split, r, n] and matmul/splitk-reduce.wgsl sums the planes and adds the bias.

override WG: u32 = 64;
override TPR: u32 = 8;
override RPT: u32 = 1;
override UNROLL: u32 = 1;
override M_TILE: u32 = 1;
override SPLIT_K: u32 = 1;

#if F16
alias Vec4T = vec4<f16>;
#else
alias Vec4T = vec4<f32>;
#endif

// Params p and the bindings wq, x, y, bias: matmul/bindings.wgsl.

// Partial sums of one chunk of RED_CH accumulators × WG lanes (the op picks RED_CH so the
// array fits the device's workgroup storage; unused when TPR == 1).
override RED_CH: u32 = 1u;
var<workgroup> red: array<f32, RED_CH * WG>;

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
#if SUBGROUPS
  @builtin(subgroup_size) sg_size: u32,
#endif
) {
  let rows_per_wg = (WG / TPR) * RPT;
  let wg_all = wid.x + wid.y * p.groups_x;
  let wg_lin = wg_all % p.groups_n;
  let m0 = (wg_all / p.groups_n) * M_TILE; // first activation row of this workgroup
  let lane = t % TPR;
  let g = t / TPR;
  let row0 = wg_lin * rows_per_wg + g * RPT;
  let kb = p.k / (8u * BLOCK_OCTETS);
  let per_split = (kb + SPLIT_K - 1u) / SPLIT_K;
  let o_begin = wid.z * per_split;
  let o_end = min(kb, o_begin + per_split);
  let k4 = p.k / 4u;
  let last_m = p.m - 1u;

  var acc: array<f32, ACC_LEN>;
  for (var i = 0u; i < M_TILE * RPT; i++) {
    acc[i] = 0.0;
  }
  var rb: array<u32, 4>;
  for (var j = 0u; j < RPT; j++) {
    rb[j] = min(row0 + j, p.n - 1u) * p.row_bytes; // rows past n read row n − 1; not stored
  }

  for (var o = o_begin + lane * UNROLL; o < o_end; o += TPR * UNROLL) {
    for (var u = 0u; u < UNROLL; u++) {
      let ob = o + u;
      if (ob < o_end) {
        var blk: array<WBlock, 4>;
        for (var j = 0u; j < RPT; j++) {
          blk[j] = w_block(rb[j], ob);
        }
        for (var s = 0u; s < BLOCK_OCTETS; s++) {
          let oc = ob * BLOCK_OCTETS + s;
          var xl: array<Vec4T, X_LEN>;
          var xh: array<Vec4T, X_LEN>;
          for (var r = 0u; r < M_TILE; r++) {
            let xi = min(m0 + r, last_m) * k4 + oc * 2u;
            xl[r] = Vec4T(x[xi]);
            xh[r] = Vec4T(x[xi + 1u]);
          }
          for (var j = 0u; j < RPT; j++) {
            let w = w_block_octet(blk[j], s);
            let wl = Vec4T(w.lo);
            let wh = Vec4T(w.hi);
            for (var r = 0u; r < M_TILE; r++) {
              acc[r * RPT + j] += f32(dot(wl, xl[r]) + dot(wh, xh[r]));
            }
          }
        }
      }
    }
  }

  let nacc = M_TILE * RPT;
  let plane = wid.z * p.m * p.n;
  let add_bias = (p.flags & 1u) != 0u;
  if (TPR == 1u) {
    for (var c = 0u; c < nacc; c++) {
      store(plane, m0, c, row0, acc[c], add_bias);
    }
    return;
  }

  // Lanes 0 .. span−1 of a row group are reduced by subgroup shuffles first (span = 1 without
  // subgroups); the TPR / span partials left per row group go through workgroup memory.
  // This assumes subgroups are consecutive runs of local_invocation_index, as every current
  // 1-D dispatch maps them (WGSL does not promise it; the GPU tests check it on the adapter).
  var span = 1u;
#if SUBGROUPS
  span = min(TPR, sg_size);
  for (var c = 0u; c < nacc; c++) {
    var v = acc[c];
    for (var off = 1u; off < span; off <<= 1u) {
      v += subgroupShuffleXor(v, off);
    }
    acc[c] = v;
  }
#endif
  let parts = TPR / span;
  let groups = WG / TPR;
  // RED_CH divides M_TILE · RPT (both powers of two), so every chunk is full.
  // No barrier before the first chunk, so accumulators need not survive one (SwiftShader
  // compiles barriers as coroutine splits: live state across them is costly).
  for (var c0 = 0u; c0 < nacc; c0 += RED_CH) {
    if (c0 > 0u) {
      workgroupBarrier(); // the previous chunk's readers are done with red
    }
    if (lane % span == 0u) {
      for (var c = 0u; c < RED_CH; c++) {
        red[(c * groups + g) * parts + lane / span] = acc[c0 + c];
      }
    }
    workgroupBarrier();
    // One invocation per (accumulator, row group) sums that row group's partials.
    for (var e = t; e < RED_CH * groups; e += WG) {
      var s = 0.0;
      for (var q = 0u; q < parts; q++) {
        s += red[e * parts + q];
      }
      store(plane, m0, c0 + e / groups, wg_lin * rows_per_wg + (e % groups) * RPT, s, add_bias);
    }
  }
}

/** Writes accumulator c (activation row m0 + c / RPT, weight row row0 + c % RPT) if in range. */
fn store(plane: u32, m0: u32, c: u32, row0: u32, v: f32, add_bias: bool) {
  let r = m0 + c / RPT;
  let n = row0 + c % RPT;
  if (r < p.m && n < p.n) {
    var out = v;
    if (add_bias) {
      out += bias[n];
    }
    y[plane + r * p.n + n] = out;
  }
}
