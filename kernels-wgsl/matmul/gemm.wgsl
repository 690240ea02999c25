// Tiled GEMM for prefill: y[r, n] = Σ_k x[r, k] · W[n, k] (+ bias[n]), m up to a few hundred.
// W is in its GGUF layout, dequantized while a tile is staged in workgroup memory through
// `w_octet` (quant/common.wgsl + quant/<dtype>.wgsl are concatenated before this file), so no
// full-precision copy of the weights ever exists in GPU memory.
//
// A workgroup computes a TM × TN tile of y with (TM / TMT) × (TN / TNT) invocations, each
// owning a TMT × TNT micro-tile whose rows/columns are strided by the thread grid (so
// neighbouring invocations read neighbouring workgroup-memory words and write neighbouring
// outputs). k advances TK values at a time (TK % 8 == 0): x[TM × TK] and W[TN × TK] are staged
// k-major in workgroup memory, zero-filled past m, n and the end of this split's k range.
// SPLIT_K > 1 splits k across dispatch z into partial planes y[split, r, n] that
// matmul/splitk-reduce.wgsl sums (and adds the bias to).
// F16 stages tiles as f16 (half the workgroup memory and traffic; needs shader-f16, and the op
// prepends `enable f16;`); products and sums stay f32.
// VEC4 (vector width 4) makes each micro-tile contiguous (rows ty·TMT.., columns tx·TNT..)
// and moves 4-vectors through workgroup memory: staging transposes 4×4 blocks, the update is
// a vec4 FMA per (row, 4 columns). Needs TMT, TNT ∈ {4, 8}.
// Requires k % 8 == 0, TMT ≤ 8, TNT ≤ 8.

override TM: u32 = 32;
override TN: u32 = 32;
override TK: u32 = 16;
override TMT: u32 = 4;
override TNT: u32 = 4;
override SPLIT_K: u32 = 1;

#if F16
alias TileT = f16;
#else
alias TileT = f32;
#endif

// Params p and the bindings wq, x, y, bias: matmul/bindings.wgsl.

#if VEC4
// k-major tiles of 4-vectors along m (xs4) and n (ws4).
var<workgroup> xs4: array<vec4<TileT>, TM * TK / 4>;
var<workgroup> ws4: array<vec4<TileT>, TN * TK / 4>;
#else
var<workgroup> xs: array<TileT, TM * TK>;
var<workgroup> ws: array<TileT, TN * TK>;
#endif

@compute @workgroup_size((TM / TMT) * (TN / TNT))
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let gx = TN / TNT; // thread grid width (along n)
  let gy = TM / TMT;
  let nthreads = gx * gy;
  let tx = t % gx;
  let ty = t / gx;
  let tiles_n = (p.n + TN - 1u) / TN;
  let tile = wid.x + wid.y * p.groups_x;
  let n0 = (tile % tiles_n) * TN;
  let m0 = (tile / tiles_n) * TM;
  // Tiles past the end (the 2-D dispatch rounds up) still run the barriers, and store nothing.

  let per_split = ((p.k + SPLIT_K - 1u) / SPLIT_K + TK - 1u) / TK * TK;
  let k_begin = wid.z * per_split;
  let k_end = min(p.k, k_begin + per_split);
  let k4 = p.k / 4u;

#if VEC4
  var acc4: array<vec4<f32>, 16>;
  for (var i = 0u; i < TMT * TNT / 4u; i++) {
    acc4[i] = vec4<f32>(0.0);
  }

  for (var k0 = k_begin; k0 < k_end; k0 += TK) {
    // Stage x: 4 rows × 4 k values per step, transposed into 4 k-rows of 4 m values.
    for (var e = t; e < (TM / 4u) * (TK / 4u); e += nthreads) {
      let mq = e / (TK / 4u);
      let kq = (e % (TK / 4u)) * 4u;
      var v: array<vec4<f32>, 4>;
      for (var c = 0u; c < 4u; c++) {
        v[c] = vec4<f32>(0.0);
        let mm = m0 + mq * 4u + c;
        if (mm < p.m && k0 + kq < k_end) {
          v[c] = x[mm * k4 + (k0 + kq) / 4u];
        }
      }
      for (var c = 0u; c < 4u; c++) {
        xs4[(kq + c) * (TM / 4u) + mq] = vec4<TileT>(vec4<f32>(v[0][c], v[1][c], v[2][c], v[3][c]));
      }
    }
    // Stage W: 4 rows × one octet per step, dequantized and transposed into 8 k-rows of 4 n values.
    for (var e = t; e < (TN / 4u) * (TK / 8u); e += nthreads) {
      let nq = e / (TK / 8u);
      let ko = (e % (TK / 8u)) * 8u;
      var w: array<Octet, 4>;
      for (var c = 0u; c < 4u; c++) {
        w[c] = Octet(vec4<f32>(0.0), vec4<f32>(0.0));
        let nn = n0 + nq * 4u + c;
        if (nn < p.n && k0 + ko < k_end) {
          w[c] = w_octet(nn * p.row_bytes, k0 + ko);
        }
      }
      for (var c = 0u; c < 4u; c++) {
        ws4[(ko + c) * (TN / 4u) + nq] = vec4<TileT>(vec4<f32>(w[0].lo[c], w[1].lo[c], w[2].lo[c], w[3].lo[c]));
        ws4[(ko + 4u + c) * (TN / 4u) + nq] =
          vec4<TileT>(vec4<f32>(w[0].hi[c], w[1].hi[c], w[2].hi[c], w[3].hi[c]));
      }
    }
    workgroupBarrier();
    let tk = min(TK, k_end - k0);
    for (var kk = 0u; kk < tk; kk++) {
      var a: array<vec4<f32>, 2>;
      var b: array<vec4<f32>, 2>;
      for (var iq = 0u; iq < TMT / 4u; iq++) {
        a[iq] = vec4<f32>(xs4[kk * (TM / 4u) + ty * (TMT / 4u) + iq]);
      }
      for (var jq = 0u; jq < TNT / 4u; jq++) {
        b[jq] = vec4<f32>(ws4[kk * (TN / 4u) + tx * (TNT / 4u) + jq]);
      }
      for (var i = 0u; i < TMT; i++) {
        let ai = vec4<f32>(a[i / 4u][i % 4u]);
        for (var jq = 0u; jq < TNT / 4u; jq++) {
          acc4[i * (TNT / 4u) + jq] = fma(ai, b[jq], acc4[i * (TNT / 4u) + jq]);
        }
      }
    }
    workgroupBarrier();
  }

  let plane = wid.z * p.m * p.n;
  let add_bias = (p.flags & 1u) != 0u;
  for (var i = 0u; i < TMT; i++) {
    let r = m0 + ty * TMT + i;
    for (var j = 0u; j < TNT; j++) {
      let n = n0 + tx * TNT + j;
      if (r < p.m && n < p.n) {
        var out = acc4[i * (TNT / 4u) + j / 4u][j % 4u];
        if (add_bias) {
          out += bias[n];
        }
        y[plane + r * p.n + n] = out;
      }
    }
  }
}
#else
  var acc: array<f32, 64>;
  for (var i = 0u; i < TMT * TNT; i++) {
    acc[i] = 0.0;
  }

  for (var k0 = k_begin; k0 < k_end; k0 += TK) {
    // Stage x: TM rows × TK/4 vec4s, k-major.
    for (var e = t; e < TM * (TK / 4u); e += nthreads) {
      let mm = e / (TK / 4u);
      let kq = (e % (TK / 4u)) * 4u;
      var v = vec4<f32>(0.0);
      if (m0 + mm < p.m && k0 + kq < k_end) {
        v = x[(m0 + mm) * k4 + (k0 + kq) / 4u];
      }
      xs[kq * TM + mm] = TileT(v.x);
      xs[(kq + 1u) * TM + mm] = TileT(v.y);
      xs[(kq + 2u) * TM + mm] = TileT(v.z);
      xs[(kq + 3u) * TM + mm] = TileT(v.w);
    }
    // Stage W: TN rows × TK/8 octets, dequantized, k-major.
    for (var e = t; e < TN * (TK / 8u); e += nthreads) {
      let nn = e / (TK / 8u);
      let ko = (e % (TK / 8u)) * 8u;
      var w = Octet(vec4<f32>(0.0), vec4<f32>(0.0));
      if (n0 + nn < p.n && k0 + ko < k_end) {
        w = w_octet((n0 + nn) * p.row_bytes, k0 + ko);
      }
      for (var c = 0u; c < 4u; c++) {
        ws[(ko + c) * TN + nn] = TileT(w.lo[c]);
        ws[(ko + 4u + c) * TN + nn] = TileT(w.hi[c]);
      }
    }
    workgroupBarrier();
    // A runtime bound (the last tile may be short) also keeps compilers from unrolling TK
    // copies of the micro-tile update, which made SwiftShader compiles 5–10× slower.
    let tk = min(TK, k_end - k0);
    for (var kk = 0u; kk < tk; kk++) {
      var a: array<f32, 8>;
      var b: array<f32, 8>;
      for (var i = 0u; i < TMT; i++) {
        a[i] = f32(xs[kk * TM + ty + i * gy]);
      }
      for (var j = 0u; j < TNT; j++) {
        b[j] = f32(ws[kk * TN + tx + j * gx]);
      }
      for (var i = 0u; i < TMT; i++) {
        for (var j = 0u; j < TNT; j++) {
          acc[i * TNT + j] = fma(a[i], b[j], acc[i * TNT + j]);
        }
      }
    }
    workgroupBarrier();
  }

  let plane = wid.z * p.m * p.n;
  let add_bias = (p.flags & 1u) != 0u;
  for (var i = 0u; i < TMT; i++) {
    let r = m0 + ty + i * gy;
    for (var j = 0u; j < TNT; j++) {
      let n = n0 + tx + j * gx;
      if (r < p.m && n < p.n) {
        var out = acc[i * TNT + j];
        if (add_bias) {
          out += bias[n];
        }
        y[plane + r * p.n + n] = out;
      }
    }
  }
}
#endif
