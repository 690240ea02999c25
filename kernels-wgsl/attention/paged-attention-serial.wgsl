// Paged causal GQA attention, one invocation per (query row, QH q heads of one kv head, split):
// the same layout, parameters, bindings and split-K partials as paged-attention.wgsl, but no
// workgroup memory and no barriers — each invocation streams its keys with the online softmax
// (Milakov & Gimelshein 2018; FlashAttention's rescaling, one key at a time) into private
// accumulators. Made for CPU-like adapters (SwiftShader: invocations are SIMD lanes); the tiled
// kernel is the one for GPUs. Rows of any sequences in any order (rowsPerTile is ignored).
//
// Specialised when the op compiles it: HEAD_VEC4S (= HD / 4) and Q_HEADS (= QH, a divisor of
// the GQA group) are unroll counts, so each head's query and accumulator are vec4 variables
// (on SwiftShader an array indexed in a loop lives in memory: those loops were two thirds of
// the kernel's time) and each K/V row is read once for the QH heads that share it.
override HD: u32 = 64u;
override WG: u32 = 32u;
override HD4: u32 = HD / 4u;
// q heads per invocation; equals the Q_HEADS unroll count.
override QH: u32 = 1u;
// PAGE_TOKENS, NEG, Params and the bindings: paged-attention-bindings.wgsl (prepended by the op).

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let nHeads = P.nKv * P.group;
  let chunks = nHeads / QH;
  let t = (wid.y * nwg.x + wid.x) * WG + lid;
  if (t >= P.rowCount * chunks) {
    return;
  }
  let h0 = (t % chunks) * QH; // heads h0 .. h0 + QH − 1, all of kv head kvh
  let r = P.rowStart + t / chunks;
  let kvh = h0 / P.group;
  let split = wid.z;
  let slot = rowInfo[2u * r];
  let pos = rowInfo[2u * r + 1u];
  var kStart = 0u;
  var kEnd = pos + 1u;
  if (P.numSplits > 1u) {
    kStart = split * P.splitTokens;
    if (split + 1u < P.numSplits) {
      kEnd = min(kEnd, kStart + P.splitTokens);
    }
  }
  // Keys before a sliding window are skipped (a split left empty reports l = 0 to the combine).
  kStart = max(kStart, first_key(pos));
  let qb = r * P.qStride + P.qOffset + h0 * HD4;
#unroll G Q_HEADS
  var m${G} = NEG;
  var l${G} = 0.0;
#unroll D HEAD_VEC4S
  let q${G}_${D} = q[qb + ${G}u * HD4 + ${D}u] * P.scale;
  var acc${G}_${D} = vec4<f32>();
#endunroll
#endunroll
  for (var key = kStart; key < kEnd; key++) {
    let page = blockTable[slot * P.maxPages + key / PAGE_TOKENS];
    let kb = ((page * PAGE_TOKENS + key % PAGE_TOKENS) * P.nKv + kvh) * HD4;
#unroll D HEAD_VEC4S
    let k${D} = kPool[kb + ${D}u];
#endunroll
#unroll G Q_HEADS
    var d4_${G} = vec4<f32>(0.0);
#unroll D HEAD_VEC4S
    d4_${G} += q${G}_${D} * k${D};
#endunroll
    let s${G} = soft_cap(d4_${G}.x + d4_${G}.y + d4_${G}.z + d4_${G}.w);
    let mNew${G} = max(m${G}, s${G});
    let alpha${G} = exp(m${G} - mNew${G});
    let p${G} = exp(s${G} - mNew${G});
    l${G} = l${G} * alpha${G} + p${G};
    m${G} = mNew${G};
#endunroll
#unroll D HEAD_VEC4S
    let v${D} = vPool[kb + ${D}u];
#endunroll
#unroll G Q_HEADS
#unroll D HEAD_VEC4S
    acc${G}_${D} = acc${G}_${D} * alpha${G} + p${G} * v${D};
#endunroll
#endunroll
  }
  if (P.numSplits == 1u) {
    let ob = r * P.oStride + P.oOffset + h0 * HD4;
#unroll G Q_HEADS
#unroll D HEAD_VEC4S
    out[ob + ${G}u * HD4 + ${D}u] = acc${G}_${D} / l${G};
#endunroll
#endunroll
  } else {
#unroll G Q_HEADS
    let pb${G} = ((r * nHeads + h0 + ${G}u) * P.numSplits + split) * (HD4 + 1u);
#unroll D HEAD_VEC4S
    partial[pb${G} + ${D}u] = acc${G}_${D};
#endunroll
    partial[pb${G} + HD4] = vec4<f32>(m${G}, l${G}, 0.0, 0.0);
#endunroll
  }
}
