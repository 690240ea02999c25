// MoE routing (packages/gpu/src/ops/moe/moe-gating.ts records it). Two entry points:
//   gate  (one invocation per row): softmax over the router logits [rows][experts], the top
//         `topk` experts (ties → lower expert id), their weights: the softmax probabilities,
//         renormalised over the top-k when NORM is set (llama.cpp's `norm_w`: true for
//         mixtral-style llama and qwen3moe, false for qwen2moe), times `scale` (llama.cpp's
//         `expert_weights_scale`; 1 when the model has none).
//   group (one workgroup): rows grouped by expert: counts, exclusive offsets and the
//         assignment lists (row·topk + slot, ascending within each expert).
// groups layout (u32): [0, E) counts · [E, 2E + 1) offsets (offsets[E] = rows·topk) ·
// [2E + 1, 2E + 1 + rows·topk) assignments ordered by expert.

override WG: u32 = 64u;
override GROUP_WG: u32 = 128u;

struct GateDims {
  rows: u32,
  experts: u32,
  topk: u32,
  norm: u32,
  scale: f32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> dims: GateDims;
@group(0) @binding(1) var<storage, read> router: array<f32>;
@group(0) @binding(2) var<storage, read_write> selected: array<u32>;
@group(0) @binding(3) var<storage, read_write> weights: array<f32>;
@group(0) @binding(4) var<storage, read> selected_in: array<u32>;
@group(0) @binding(5) var<storage, read_write> groups: array<u32>;

var<workgroup> counts: array<u32, GROUP_WG>;
var<workgroup> total_before: u32;

@compute @workgroup_size(WG)
fn gate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= dims.rows) {
    return;
  }
  let e_n = dims.experts;
  let base = row * e_n;
  var m = router[base];
  for (var e = 1u; e < e_n; e++) {
    m = max(m, router[base + e]);
  }
  var s = 0.0;
  for (var e = 0u; e < e_n; e++) {
    s += exp(router[base + e] - m);
  }
  var taken: array<u32, 8>; // bitmask over up to 256 experts
  var sum = 0.0;
  let k = dims.topk;
  for (var slot = 0u; slot < k; slot++) {
    var best = 0xffffffffu;
    var bv = 0.0;
    for (var e = 0u; e < e_n; e++) {
      if ((taken[e >> 5u] & (1u << (e & 31u))) != 0u) {
        continue;
      }
      let v = router[base + e];
      if (best == 0xffffffffu || v > bv) {
        best = e;
        bv = v;
      }
    }
    taken[best >> 5u] |= 1u << (best & 31u);
    let p = exp(bv - m) / s;
    selected[row * k + slot] = best;
    weights[row * k + slot] = p;
    sum += p;
  }
  let f = select(dims.scale, dims.scale / sum, dims.norm != 0u);
  for (var slot = 0u; slot < k; slot++) {
    weights[row * k + slot] *= f;
  }
}

@compute @workgroup_size(GROUP_WG)
fn group(@builtin(local_invocation_index) tid: u32) {
  let e_n = dims.experts;
  let n = dims.rows * dims.topk;
  if (tid == 0u) {
    total_before = 0u;
  }
  // Experts are handled GROUP_WG at a time; thread tid owns expert e0 + tid.
  for (var e0 = 0u; e0 < e_n; e0 += GROUP_WG) {
    let e = e0 + tid;
    var c = 0u;
    if (e < e_n) {
      for (var a = 0u; a < n; a++) {
        c += select(0u, 1u, selected_in[a] == e);
      }
    }
    counts[tid] = c;
    workgroupBarrier();
    if (tid == 0u) {
      var run = total_before;
      for (var j = 0u; j < GROUP_WG; j++) {
        let cj = counts[j];
        counts[j] = run;
        run += cj;
      }
      total_before = run;
    }
    workgroupBarrier();
    if (e < e_n) {
      let off = counts[tid];
      groups[e] = c;
      groups[e_n + e] = off;
      var w = 2u * e_n + 1u + off;
      for (var a = 0u; a < n; a++) {
        if (selected_in[a] == e) {
          groups[w] = a;
          w++;
        }
      }
    }
    workgroupBarrier();
  }
  if (tid == 0u) {
    groups[2u * e_n] = n;
  }
}
