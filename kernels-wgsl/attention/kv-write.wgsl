// Scatters new K and V rows into the paged KV pools (needs rope/rope-angle.wgsl before it).
// Pools: [numPages][PAGE_TOKENS = 16][nKv][headDim] f32; block table u32 [numSlots][maxPages];
// row info u32 [rows][2] = (slot, position). Row r goes to physical page
// blockTable[slot·maxPages + position / 16], token position % 16 (vLLM's PagedAttention layout).
// ROPE rotates k on the way (fusing the k RoPE dispatch into the write); ROPE_Q also rotates
// the q rows in place in the same dispatch (q must be its own buffer, as it is bound writable).
// One thread per (row, head, pair of dims), heads = [q heads if ROPE_Q] + kv heads.
override WG: u32 = 64u;
const PAGE_TOKENS: u32 = 16u;

struct Params {
  rows: u32,
  nKv: u32,
  headDim: u32,
  maxPages: u32,
  kStride: u32,
  kOffset: u32,
  vStride: u32,
  vOffset: u32,
  numPages: u32,
  nRot: u32,
  neox: u32,
  nQ: u32,       // q heads rotated in place (0 without ROPE_Q)
  qStride: u32,
  qOffset: u32,
  log2Base: f32,
  freqScale: f32,
  magnitude: f32,  // ggml rope's attn_factor: cos and sin are multiplied by it
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> rowInfo: array<u32>;
@group(0) @binding(4) var<storage, read> blockTable: array<u32>;
@group(0) @binding(5) var<storage, read_write> kPool: array<f32>;
@group(0) @binding(6) var<storage, read_write> vPool: array<f32>;
#if FREQ_FACTORS
@group(0) @binding(7) var<storage, read> freqFactors: array<f32>;
#endif
#if ROPE_Q
@group(0) @binding(8) var<storage, read_write> q: array<f32>;
#endif

fn freq_factor(i: u32) -> f32 {
#if FREQ_FACTORS
  return freqFactors[i];
#else
  return 1.0;
#endif
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let pairs = P.headDim / 2u;
  let heads = P.nQ + P.nKv;
  let t = (wid.y * nwg.x + wid.x) * WG + lid;
  if (t >= P.rows * heads * pairs) {
    return;
  }
  let p = t % pairs;
  let rh = t / pairs;
  let hh = rh % heads;
  let r = rh / heads;
  let slot = rowInfo[2u * r];
  let pos = rowInfo[2u * r + 1u];
#if ROPE_Q
  if (hh < P.nQ) {
    if (p < P.nRot / 2u) {
      let pr = rope_pair(p, P.nRot, P.neox != 0u);
      let qb = r * P.qStride + P.qOffset + hh * P.headDim;
      let y = rope_rotate(vec2f(q[qb + pr.x], q[qb + pr.y]),
                          P.magnitude * rope_cos_sin(pos, p, P.nRot, P.log2Base, P.freqScale, freq_factor(p)));
      q[qb + pr.x] = y.x;
      q[qb + pr.y] = y.y;
    }
    return;
  }
#endif
  let h = hh - P.nQ;
  let logical = pos / PAGE_TOKENS;
  if (logical >= P.maxPages) {
    return;
  }
  let page = blockTable[slot * P.maxPages + logical];
  if (page >= P.numPages) {
    return;
  }
  let dst = ((page * PAGE_TOKENS + pos % PAGE_TOKENS) * P.nKv + h) * P.headDim;
  let ks = r * P.kStride + P.kOffset + h * P.headDim;
  let vs = r * P.vStride + P.vOffset + h * P.headDim;
#if ROPE
  let pr = rope_pair(p, P.nRot, P.neox != 0u);
  var kk = vec2f(k[ks + pr.x], k[ks + pr.y]);
  if (p < P.nRot / 2u) {
    kk = rope_rotate(kk, P.magnitude * rope_cos_sin(pos, p, P.nRot, P.log2Base, P.freqScale, freq_factor(p)));
  }
#else
  let pr = vec2u(2u * p, 2u * p + 1u);
  let kk = vec2f(k[ks + pr.x], k[ks + pr.y]);
#endif
  kPool[dst + pr.x] = kk.x;
  kPool[dst + pr.y] = kk.y;
  vPool[dst + pr.x] = v[vs + pr.x];
  vPool[dst + pr.y] = v[vs + pr.y];
}
