// Paged causal GQA attention, one invocation per (query row, q head, split): the same layout,
// parameters, bindings and split-K partials as paged-attention.wgsl, but no workgroup memory
// and no barriers — each invocation streams its keys with the online softmax (Milakov &
// Gimelshein 2018; FlashAttention's rescaling, one key at a time) into a private accumulator.
// Made for CPU-like adapters (SwiftShader: invocations are SIMD lanes, and neighbouring lanes
// are q heads of one kv head, so they read the same K/V rows); the tiled kernel is the one for
// GPUs. Rows of any sequences in any order (rowsPerTile is ignored). The head's query and
// accumulator are HEAD_VEC4S (= HD / 4, an unroll count fixed when the op compiles it) vec4
// variables, loops over them unrolled: on SwiftShader an array indexed in a loop lives in
// memory, and these loops were two thirds of the kernel's time.
override HD: u32 = 64u;
override WG: u32 = 32u;
override HD4: u32 = HD / 4u;
const PAGE_TOKENS: u32 = 16u;
const NEG: f32 = -3.0e38;

struct Params {
  rowStart: u32,
  rowCount: u32,
  rowsPerTile: u32,
  group: u32,
  nKv: u32,
  qStride: u32,   // in vec4s
  qOffset: u32,   // in vec4s
  oStride: u32,   // in vec4s
  oOffset: u32,   // in vec4s
  maxPages: u32,
  splitTokens: u32,
  numSplits: u32,
  scale: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> kPool: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> vPool: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> blockTable: array<u32>;
@group(0) @binding(5) var<storage, read> rowInfo: array<u32>;
@group(0) @binding(6) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> partial: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let nHeads = P.nKv * P.group;
  let t = (wid.y * nwg.x + wid.x) * WG + lid;
  if (t >= P.rowCount * nHeads) {
    return;
  }
  let h = t % nHeads;
  let r = P.rowStart + t / nHeads;
  let kvh = h / P.group;
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
  let qb = r * P.qStride + P.qOffset + h * HD4;
#unroll D HEAD_VEC4S
  let q${D} = q[qb + ${D}u] * P.scale;
  var acc${D} = vec4<f32>();
#endunroll
  var m = NEG;
  var l = 0.0;
  for (var key = kStart; key < kEnd; key++) {
    let page = blockTable[slot * P.maxPages + key / PAGE_TOKENS];
    let kb = ((page * PAGE_TOKENS + key % PAGE_TOKENS) * P.nKv + kvh) * HD4;
    var d4 = vec4<f32>(0.0);
#unroll D HEAD_VEC4S
    d4 += q${D} * kPool[kb + ${D}u];
#endunroll
    let s = d4.x + d4.y + d4.z + d4.w;
    let mNew = max(m, s);
    let alpha = exp(m - mNew);
    let p = exp(s - mNew);
#unroll D HEAD_VEC4S
    acc${D} = acc${D} * alpha + p * vPool[kb + ${D}u];
#endunroll
    l = l * alpha + p;
    m = mNew;
  }
  if (P.numSplits == 1u) {
    let ob = r * P.oStride + P.oOffset + h * HD4;
#unroll D HEAD_VEC4S
    out[ob + ${D}u] = acc${D} / l;
#endunroll
  } else {
    let pb = ((r * nHeads + h) * P.numSplits + split) * (HD4 + 1u);
#unroll D HEAD_VEC4S
    partial[pb + ${D}u] = acc${D};
#endunroll
    partial[pb + HD4] = vec4<f32>(m, l, 0.0, 0.0);
  }
}
