// Causal grouped-query attention over a paged KV cache, with an online softmax.
//
// Layout (vLLM's PagedAttention, Kwon et al. 2023): per layer a K pool and a V pool,
// [numPages][PAGE_TOKENS = 16][nKv][HD] f32; a block table u32 [numSlots][maxPages] maps a
// slot's logical page to a physical page; row info u32 [rows][2] = (slot, position). Query row
// r (`q[r·qStride + qOffset + h·HD + d]`, head h < nKv·group) attends to positions 0..position
// of its slot; q head h reads kv head h / group (ggml's GQA broadcast).
//
// A workgroup takes one tile — `rowsPerTile` consecutive rows of ONE slot (1 for decode rows,
// which may each be a different sequence; more for a prefill chunk) times the `group` q heads
// that share kv head wid.y — so every K/V block loaded into workgroup memory serves
// rowsPerTile·group query vectors (QT ≥ that, an override). Keys are visited in blocks of BK
// with the online softmax of FlashAttention (Dao et al. 2022; FlashAttention-2's loop order:
// queries stay, keys stream): running max m, running sum l, output rescaled by e^(m_old − m_new).
// STAGE_KV copies each K/V block into workgroup memory (every block then serves all QT query
// vectors from there); without it, threads read K/V rows from the pools directly (through the
// cache) and only the block's row addresses are shared. Workgroup memory costs compile time on
// SwiftShader (which zero-initialises it element by element), so the default leaves it off.
// Split-K (Flash-Decoding, Dao et al. 2023): with numSplits > 1, wid.z takes keys
// [z·splitTokens, (z+1)·splitTokens) (the last split: every key from there on) and writes its
// unnormalised output and (m, l) to `partial`; attention/paged-attention-combine.wgsl merges the splits.
// Everything moves as vec4 (HD is a multiple of 16; q/out strides and offsets multiples of 4):
// a quarter of the loads, which is what bounds this kernel on SwiftShader.
override HD: u32 = 64u;
override BK: u32 = 16u;
override QT: u32 = 1u;
override WG: u32 = 64u;
// vec4 outputs per thread: QT·HD/4 ≤ MAX_ACC·WG (the host sizes WG to fit).
const MAX_ACC: u32 = 8u;
// PAGE_TOKENS, NEG, Params and the bindings: paged-attention-bindings.wgsl (prepended by the op).

override HD4: u32 = HD / 4u;

#if STAGE_KV
var<workgroup> kt: array<vec4<f32>, BK * HD4>;
var<workgroup> vt: array<vec4<f32>, BK * HD4>;
#endif
// vec4 offset of key j's head row in the pools (valid for kb + j < kEnd).
var<workgroup> kbase: array<u32, BK>;
var<workgroup> sc: array<f32, QT * BK>;
var<workgroup> mrow: array<f32, QT>;
var<workgroup> lrow: array<f32, QT>;
var<workgroup> alpha: array<f32, QT>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let kvh = wid.y;
  let split = wid.z;
  let firstRow = P.rowStart + wid.x * P.rowsPerTile;
  let nRows = min(P.rowsPerTile, P.rowStart + P.rowCount - firstRow);
  let nq = nRows * P.group;
  let slot = rowInfo[2u * firstRow];
  var maxPos = 0u;
  var minFirst = 0xffffffffu;
  for (var r = 0u; r < nRows; r++) {
    let pos = rowInfo[2u * (firstRow + r) + 1u];
    maxPos = max(maxPos, pos);
    minFirst = min(minFirst, first_key(pos));
  }
  var kStart = 0u;
  var kEnd = maxPos + 1u;
  if (P.numSplits > 1u) {
    kStart = split * P.splitTokens;
    if (split + 1u < P.numSplits) {
      kEnd = min(kEnd, kStart + P.splitTokens);
    }
  }
  // Keys before every row's sliding window are skipped; the rest are masked per row below.
  kStart = max(kStart, minFirst);
  for (var i = lid; i < QT; i += WG) {
    mrow[i] = NEG;
    lrow[i] = 0.0;
    alpha[i] = 1.0;
  }
  var acc: array<vec4<f32>, MAX_ACC>;
  workgroupBarrier();

  for (var kb = kStart; kb < kEnd; kb += BK) {
    // Row addresses of this block's keys (and, with STAGE_KV, the K/V rows themselves;
    // keys past kEnd are clamped to the last key and masked below).
    for (var j = lid; j < BK; j += WG) {
      let key = min(kb + j, kEnd - 1u);
      let page = blockTable[slot * P.maxPages + key / PAGE_TOKENS];
      kbase[j] = ((page * PAGE_TOKENS + key % PAGE_TOKENS) * P.nKv + kvh) * HD4;
    }
#if STAGE_KV
    workgroupBarrier();
    for (var e = lid; e < BK * HD4; e += WG) {
      let j = e / HD4;
      let a = kbase[j] + (e - j * HD4);
      kt[e] = kPool[a];
      vt[e] = vPool[a];
    }
#endif
    workgroupBarrier();
    // Scores q·k · scale (soft-capped), NEG where causally masked or before the row's window.
    for (var s = lid; s < QT * BK; s += WG) {
      let qi = s / BK;
      let j = s - qi * BK;
      let key = kb + j;
      var val = NEG;
      if (qi < nq && key < kEnd) {
        let r = firstRow + qi / P.group;
        let pos = rowInfo[2u * r + 1u];
        if (key <= pos && key >= first_key(pos)) {
          let qb = r * P.qStride + P.qOffset + (kvh * P.group + qi % P.group) * HD4;
          var d4 = vec4<f32>(0.0);
#if STAGE_KV
          let kr = j * HD4;
          for (var d = 0u; d < HD4; d++) {
            d4 += q[qb + d] * kt[kr + d];
          }
#else
          let kr = kbase[j];
          for (var d = 0u; d < HD4; d++) {
            d4 += q[qb + d] * kPool[kr + d];
          }
#endif
          val = soft_cap((d4.x + d4.y + d4.z + d4.w) * P.scale);
        }
      }
      sc[s] = val;
    }
    workgroupBarrier();
    // Online softmax update per query vector; scores become probabilities.
    for (var qi = lid; qi < QT; qi += WG) {
      let mOld = mrow[qi];
      var mNew = mOld;
      for (var j = 0u; j < BK; j++) {
        mNew = max(mNew, sc[qi * BK + j]);
      }
      let a = exp(mOld - mNew);
      var sum = 0.0;
      for (var j = 0u; j < BK; j++) {
        let sv = sc[qi * BK + j];
        let p = select(0.0, exp(sv - mNew), sv > 0.5 * NEG);
        sc[qi * BK + j] = p;
        sum += p;
      }
      mrow[qi] = mNew;
      lrow[qi] = lrow[qi] * a + sum;
      alpha[qi] = a;
    }
    workgroupBarrier();
    // o = o·alpha + P·V for this thread's output vec4s.
    for (var i = 0u; i < MAX_ACC; i++) {
      let o = lid + i * WG;
      if (o < QT * HD4) {
        let qi = o / HD4;
        let d = o - qi * HD4;
        var t = acc[i] * alpha[qi];
        for (var j = 0u; j < BK; j++) {
          let p = sc[qi * BK + j];
#if STAGE_KV
          t += p * vt[j * HD4 + d];
#else
          if (p > 0.0) {
            t += p * vPool[kbase[j] + d];
          }
#endif
        }
        acc[i] = t;
      }
    }
    workgroupBarrier();
  }

  let nHeads = P.nKv * P.group;
  for (var i = 0u; i < MAX_ACC; i++) {
    let o = lid + i * WG;
    if (o < nq * HD4) {
      let qi = o / HD4;
      let d = o - qi * HD4;
      let r = firstRow + qi / P.group;
      let h = kvh * P.group + qi % P.group;
      if (P.numSplits == 1u) {
        out[r * P.oStride + P.oOffset + h * HD4 + d] = acc[i] / lrow[qi];
      } else {
        let pb = ((r * nHeads + h) * P.numSplits + split) * (HD4 + 1u);
        partial[pb + d] = acc[i];
        if (d == 0u) {
          partial[pb + HD4] = vec4<f32>(mrow[qi], lrow[qi], 0.0, 0.0);
        }
      }
    }
  }
}
