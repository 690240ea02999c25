// On-GPU sampler over logits [rows][vocab]; common.wgsl is prepended. Entry points, in
// dispatch order (packages/gpu/src/ops/sampling/sampler.ts records them):
//   chunk  (chunks × rows): per vocabulary chunk of SORT_N tokens: softmax partial statistics
//          of the raw and the penalised logits, and the chunk's best `kc` penalised candidates
//          and best RAW_K raw candidates (bitonic sort in workgroup memory);
//   chunk_best (chunks × rows): the same statistics and only the chunk's best penalised token,
//          when the dispatch's candidate cap is 1 (no sort, no merges, no top-20);
//   merge  (lists_out × rows): merges SORT_N / k sorted candidate lists into one, repeatedly;
//   select (rows): statistics → entropy, self-certainty, top log-probabilities; the sampling
//          cut (top-k → top-p → min-p, llama.cpp's order) over the candidates, then either the
//          token (argmax, forced, or Gumbel-max among the kept candidates) or a sweep request;
//   sweep  (chunks × rows): Gumbel-max over the whole vocabulary above the cut (rows whose kept
//          set may exceed the candidates: temperature-only or broad min-p);
//   finish (rows): the token and its log-probability under the raw (temperature-1) softmax.

override WG: u32 = 256u;        // threads per workgroup (power of two, ≤ SORT_N / 2)
override SORT_N: u32 = 1024u;   // tokens per chunk = entries sorted per workgroup (power of two)

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<u32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> cand_adj: array<vec2u>;
@group(0) @binding(5) var<storage, read_write> cand_raw: array<vec2u>;
@group(0) @binding(6) var<storage, read> merge_src: array<vec2u>;
@group(0) @binding(7) var<storage, read_write> merge_dst: array<vec2u>;
@group(0) @binding(8) var<storage, read> final_adj: array<vec2u>;
@group(0) @binding(9) var<storage, read> final_raw: array<vec2u>;
@group(0) @binding(10) var<storage, read_write> out: array<u32>;
@group(0) @binding(11) var<storage, read_write> state: array<u32>;
@group(0) @binding(12) var<storage, read_write> sweep_best: array<vec2u>;

var<workgroup> keys: array<u32, SORT_N>;
var<workgroup> idx: array<u32, SORT_N>;
var<workgroup> slot: array<u32, SORT_N>;
var<workgroup> wg_u: array<u32, 4>;
var<workgroup> wg_flag: u32;
var<workgroup> wg_f: array<f32, 8>;

fn pf(p: u32, field: u32) -> f32 {
  return bitcast<f32>(params[p + field]);
}

// First index e in [0, n) with params[off + stride·e] ≥ value (lists are sorted by token id).
fn lower_bound(off: u32, n: u32, stride: u32, value: u32) -> u32 {
  var lo = 0u;
  var hi = n;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (params[off + stride * mid] < value) {
      lo = mid + 1u;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// slot[i] for token base + i: 0 = plain, e + 1 = penalty entry e, NONE = banned.
fn build_slots(p: u32, base: u32, tid: u32) {
  for (var i = tid; i < SORT_N; i += WG) {
    slot[i] = 0u;
  }
  let pen_off = params[p + P_PEN_OFF];
  let pen_n = params[p + P_PEN_COUNT];
  let ban_off = params[p + P_BAN_OFF];
  let ban_n = params[p + P_BAN_COUNT];
  if (tid == 0u) {
    wg_u[0] = lower_bound(pen_off, pen_n, 2u, base);
  }
  if (tid == 1u) {
    wg_u[1] = lower_bound(ban_off, ban_n, 1u, base);
  }
  workgroupBarrier();
  let end = base + SORT_N;
  for (var e = wg_u[0] + tid; e < pen_n; e += WG) {
    let t = params[pen_off + 2u * e];
    if (t >= end) {
      break;
    }
    slot[t - base] = e + 1u;
  }
  workgroupBarrier();
  for (var e = wg_u[1] + tid; e < ban_n; e += WG) {
    let t = params[ban_off + e];
    if (t >= end) {
      break;
    }
    slot[t - base] = NONE;
  }
  workgroupBarrier();
}

// Penalised logit of a token whose slot is s (not NONE).
fn adjusted(p: u32, l: f32, s: u32) -> f32 {
  if (s == 0u) {
    return l;
  }
  let count = params[params[p + P_PEN_OFF] + 2u * (s - 1u) + 1u];
  return penalised(l, count, pf(p, P_REP), pf(p, P_FREQ), pf(p, P_PRES));
}

// Sorts (keys, idx)[0..SORT_N) best first (bitonic network; Batcher 1968). With run > 1 the
// blocks of `run` entries must already be sorted, block b best-first when b is even and
// worst-first when odd (what the network's earlier stages would have left), and only the
// stages merging blocks of 2·run and more are run.
fn bitonic_sort_from(tid: u32, run: u32) {
  for (var k = 2u * run; k <= SORT_N; k = k << 1u) {
    for (var j = k >> 1u; j > 0u; j = j >> 1u) {
      for (var t = tid; t < SORT_N / 2u; t += WG) {
        let i = 2u * t - (t & (j - 1u));
        let l = i + j;
        let ki = keys[i];
        let ii = idx[i];
        let kl = keys[l];
        let il = idx[l];
        let desc = (i & k) == 0u;
        let swap = select(better(ki, ii, kl, il), better(kl, il, ki, ii), desc);
        if (swap) {
          keys[i] = kl;
          idx[i] = il;
          keys[l] = ki;
          idx[l] = ii;
        }
      }
      workgroupBarrier();
    }
  }
}

// Full sort of unsorted (keys, idx): each invocation first insertion-sorts its own block of
// SORT_N / WG entries (no barriers; direction by block parity), then the network merges blocks.
fn bitonic_sort(tid: u32) {
  let run = SORT_N / WG;
  let lo = tid * run;
  let best_first = (tid & 1u) == 0u;
  for (var a = lo + 1u; a < lo + run; a++) {
    let ka = keys[a];
    let ia = idx[a];
    var b = a;
    while (b > lo) {
      let kb = keys[b - 1u];
      let ib = idx[b - 1u];
      if (select(better(kb, ib, ka, ia), better(ka, ia, kb, ib), best_first)) {
        keys[b] = kb;
        idx[b] = ib;
        b--;
      } else {
        break;
      }
    }
    keys[b] = ka;
    idx[b] = ia;
  }
  workgroupBarrier();
  bitonic_sort_from(tid, run);
}

// Log-sum-exp partials: (max m, Σ e^(x−m), Σ (x−m)·e^(x−m)) merged across two sets.
fn merge3(a: vec3f, b: vec3f) -> vec3f {
  let m = max(a.x, b.x);
  let ea = exp(a.x - m);
  let eb = exp(b.x - m);
  return vec3f(m, a.y * ea + b.y * eb, ea * (a.z + (a.x - m) * a.y) + eb * (b.z + (b.x - m) * b.y));
}

fn add3(a: vec3f, x: f32) -> vec3f {
  if (x > a.x) {
    let e = exp(a.x - x);
    return vec3f(x, a.y * e + 1.0, e * (a.z + (a.x - x) * a.y));
  }
  let e = exp(x - a.x);
  // A −inf logit (a masked token) adds nothing (and must not add −inf · 0 = NaN).
  return vec3f(a.x, a.y + e, a.z + select((x - a.x) * e, 0.0, e == 0.0));
}

// Scratch f32 storage over keys ++ idx (2·SORT_N words) for reductions after sorting.
fn red_get(j: u32) -> f32 {
  if (j < SORT_N) {
    return bitcast<f32>(keys[j]);
  }
  return bitcast<f32>(idx[j - SORT_N]);
}

fn red_set(j: u32, v: f32) {
  if (j < SORT_N) {
    keys[j] = bitcast<u32>(v);
  } else {
    idx[j - SORT_N] = bitcast<u32>(v);
  }
}

// Tree-reduces six per-thread statistics (raw m, s0, s1, Σx; adjusted m, s0); the total
// lands in wg_f[0..6). Uses keys/idx as scratch: call only when they are free.
fn reduce_stats(tid: u32, raw: vec3f, sum: f32, adj: vec3f) {
  workgroupBarrier();
  red_set(6u * tid + 0u, raw.x);
  red_set(6u * tid + 1u, raw.y);
  red_set(6u * tid + 2u, raw.z);
  red_set(6u * tid + 3u, sum);
  red_set(6u * tid + 4u, adj.x);
  red_set(6u * tid + 5u, adj.y);
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (tid < s) {
      let a = 6u * tid;
      let b = 6u * (tid + s);
      let r = merge3(vec3f(red_get(a), red_get(a + 1u), red_get(a + 2u)), vec3f(red_get(b), red_get(b + 1u), red_get(b + 2u)));
      let q = merge3(vec3f(red_get(a + 4u), red_get(a + 5u), 0.0), vec3f(red_get(b + 4u), red_get(b + 5u), 0.0));
      red_set(a, r.x);
      red_set(a + 1u, r.y);
      red_set(a + 2u, r.z);
      red_set(a + 3u, red_get(a + 3u) + red_get(b + 3u));
      red_set(a + 4u, q.x);
      red_set(a + 5u, q.y);
    }
    workgroupBarrier();
  }
  if (tid == 0u) {
    for (var q = 0u; q < 6u; q++) {
      wg_f[q] = red_get(q);
    }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn chunk(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) tid: u32) {
  let row = wid.y;
  let c = wid.x;
  let base = c * SORT_N;
  let p = row * PARAM_WORDS;
  let vocab = dims.vocab;
  let lbase = row * vocab;
  if (tid == 0u) {
    wg_flag = select(0u, 1u, params[p + P_PEN_COUNT] + params[p + P_BAN_COUNT] > 0u);
  }
  build_slots(p, base, tid);
  var raw = vec3f(NEG, 0.0, 0.0);
  var adj = vec3f(NEG, 0.0, 0.0);
  var sum = 0.0;
  for (var i = tid; i < SORT_N; i += WG) {
    let t = base + i;
    var k = 0u;
    var ix = NONE;
    if (t < vocab) {
      let l = logits[lbase + t];
      raw = add3(raw, l);
      sum += select(0.0, l, l > NEG); // a masked (−∞) logit is left out: the mean is over allowed tokens
      let s = slot[i];
      if (s != NONE) {
        let a = adjusted(p, l, s);
        adj = add3(adj, a);
        k = order_key(a);
        ix = t;
      }
    }
    keys[i] = k;
    idx[i] = ix;
  }
  workgroupBarrier();
  bitonic_sort(tid);
  let kc = dims.kc;
  let oa = (row * dims.chunks + c) * kc;
  for (var j = tid; j < kc; j += WG) {
    cand_adj[oa + j] = vec2u(keys[j], idx[j]);
  }
  let orw = (row * dims.chunks + c) * RAW_K;
  let need_raw = workgroupUniformLoad(&wg_flag);
  if (need_raw == 0u) {
    // No penalties or bans: the raw order is the penalised order.
    for (var j = tid; j < RAW_K; j += WG) {
      cand_raw[orw + j] = vec2u(keys[j], idx[j]);
    }
  } else {
    for (var i = tid; i < SORT_N; i += WG) {
      let t = base + i;
      keys[i] = select(0u, order_key(logits[lbase + min(t, vocab - 1u)]), t < vocab);
      idx[i] = select(NONE, t, t < vocab);
    }
    workgroupBarrier();
    bitonic_sort(tid);
    for (var j = tid; j < RAW_K; j += WG) {
      cand_raw[orw + j] = vec2u(keys[j], idx[j]);
    }
  }
  reduce_stats(tid, raw, sum, adj);
  if (tid == 0u) {
    let b = (row * dims.chunks + c) * STATS_WORDS;
    for (var q = 0u; q < 6u; q++) {
      stats[b + q] = wg_f[q];
    }
    stats[b + 6u] = 0.0;
    stats[b + 7u] = 0.0;
  }
}

// Candidate cap 1 (greedy, forced, temperature-only and min-p rows): the chunk's best penalised
// token and the statistics, with a few tree reductions instead of a sort. No raw top list.
@compute @workgroup_size(WG)
fn chunk_best(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) tid: u32) {
  let row = wid.y;
  let c = wid.x;
  let base = c * SORT_N;
  let p = row * PARAM_WORDS;
  let vocab = dims.vocab;
  let lbase = row * vocab;
  build_slots(p, base, tid);
  var raw = vec3f(NEG, 0.0, 0.0);
  var adj = vec3f(NEG, 0.0, 0.0);
  var sum = 0.0;
  var bk = 0u;
  var bi = NONE;
  for (var i = tid; i < SORT_N; i += WG) {
    let t = base + i;
    if (t < vocab) {
      let l = logits[lbase + t];
      raw = add3(raw, l);
      sum += select(0.0, l, l > NEG); // a masked (−∞) logit is left out: the mean is over allowed tokens
      let s = slot[i];
      if (s != NONE) {
        let a = adjusted(p, l, s);
        adj = add3(adj, a);
        let k = order_key(a);
        if (better(k, t, bk, bi)) {
          bk = k;
          bi = t;
        }
      }
    }
  }
  keys[tid] = bk;
  idx[tid] = bi;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h >> 1u) {
    if (tid < h && better(keys[tid + h], idx[tid + h], keys[tid], idx[tid])) {
      keys[tid] = keys[tid + h];
      idx[tid] = idx[tid + h];
    }
    workgroupBarrier();
  }
  if (tid == 0u) {
    cand_adj[row * dims.chunks + c] = vec2u(keys[0], idx[0]);
  }
  reduce_stats(tid, raw, sum, adj);
  if (tid == 0u) {
    let b = (row * dims.chunks + c) * STATS_WORDS;
    for (var q = 0u; q < 6u; q++) {
      stats[b + q] = wg_f[q];
    }
    stats[b + 6u] = 0.0;
    stats[b + 7u] = 0.0;
  }
}

@compute @workgroup_size(WG)
fn merge(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) tid: u32) {
  let row = wid.y;
  let g = wid.x;
  let k = dims.k;
  let fan = SORT_N / k;
  // Input lists are sorted best-first: odd blocks are loaded reversed, so only the merging
  // stages of the network run (log2(SORT_N / k) of them instead of log2(SORT_N)).
  for (var i = tid; i < SORT_N; i += WG) {
    let b = i / k;
    let list = g * fan + b;
    let j = select(i % k, k - 1u - i % k, (b & 1u) == 1u);
    var e = vec2u(0u, NONE);
    if (list < dims.lists_in) {
      e = merge_src[(row * dims.lists_in + list) * k + j];
    }
    keys[i] = e.x;
    idx[i] = e.y;
  }
  workgroupBarrier();
  bitonic_sort_from(tid, k);
  let o = (row * dims.lists_out + g) * k;
  for (var j = tid; j < k; j += WG) {
    merge_dst[o + j] = vec2u(keys[j], idx[j]);
  }
}

@compute @workgroup_size(WG)
fn select_row(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) tid: u32) {
  let row = wid.x;
  let p = row * PARAM_WORDS;
  let chunks = dims.chunks;
  let kc = dims.kc;
  let vocab = dims.vocab;
  var raw = vec3f(NEG, 0.0, 0.0);
  var adj = vec3f(NEG, 0.0, 0.0);
  var sum = 0.0;
  for (var c = tid; c < chunks; c += WG) {
    let b = (row * chunks + c) * STATS_WORDS;
    raw = merge3(raw, vec3f(stats[b], stats[b + 1u], stats[b + 2u]));
    sum += stats[b + 3u];
    adj = merge3(adj, vec3f(stats[b + 4u], stats[b + 5u], 0.0));
  }
  reduce_stats(tid, raw, sum, adj);
  // Candidates: penalised ones in keys/idx, raw ones in slot[0..RAW_K) / slot[RAW_K..2·RAW_K).
  if (kc == 1u) {
    // chunk_best wrote one candidate per chunk and no raw list.
    if (tid == 0u) {
      var bk = 0u;
      var bi = NONE;
      for (var c = 0u; c < chunks; c++) {
        let e = final_adj[row * chunks + c];
        if (better(e.x, e.y, bk, bi)) {
          bk = e.x;
          bi = e.y;
        }
      }
      keys[0] = bk;
      idx[0] = bi;
    }
    for (var j = tid; j < RAW_K; j += WG) {
      slot[j] = 0u;
      slot[RAW_K + j] = NONE;
    }
  } else {
    for (var j = tid; j < kc; j += WG) {
      let e = final_adj[row * kc + j];
      keys[j] = e.x;
      idx[j] = e.y;
    }
    for (var j = tid; j < RAW_K; j += WG) {
      let e = final_raw[row * RAW_K + j];
      slot[j] = e.x;
      slot[RAW_K + j] = e.y;
    }
  }
  workgroupBarrier();
  let temp = pf(p, P_TEMP);
  if (tid == 0u) {
    var n = 0u;
    while (n < kc && idx[n] != NONE) {
      n++;
    }
    let complete = n < kc; // every unbanned token is a candidate
    let force = params[p + P_FORCE];
    var mode = MODE_DONE;
    var token = NONE;
    var keep = 0u;
    var kept = 0u;
    var tau_k = 0u;
    var tau_i = NONE;
    if (force != NONE) {
      token = force;
    } else if (temp <= 0.0 || n == 0u) {
      token = select(NONE, idx[0], n > 0u);
      kept = select(0u, 1u, n > 0u);
    } else {
      let a0 = key_value(keys[0]);
      var c = n;
      var bounded = complete;
      let topk = params[p + P_TOPK];
      if (topk > 0u) {
        c = min(topk, n);
        bounded = true;
      }
      let topp = pf(p, P_TOPP);
      if (topp < 1.0) {
        var z = 0.0;
        if (bounded) {
          for (var j = 0u; j < c; j++) {
            z += exp(key_value(keys[j]) - a0);
          }
        } else {
          z = wg_f[5] * exp(wg_f[4] - a0);
        }
        var cum = 0.0;
        var cut = c;
        for (var j = 0u; j < c; j++) {
          cum += exp(key_value(keys[j]) - a0);
          if (cum >= topp * z) {
            cut = j + 1u;
            break;
          }
        }
        c = cut; // an unreached nucleus is capped at the kc candidates (documented)
        bounded = true;
      }
      let minp = pf(p, P_MINP);
      if (minp > 0.0) {
        let thr = a0 + log(minp);
        var cnt = 0u;
        while (cnt < c && key_value(keys[cnt]) >= thr) {
          cnt++;
        }
        if (bounded || cnt < c) {
          c = max(cnt, 1u);
          bounded = true;
        } else {
          tau_k = order_key(thr);
        }
      }
      if (bounded) {
        keep = c;
        kept = c;
      } else {
        mode = MODE_SWEEP;
        kept = NONE;
      }
    }
    wg_u[0] = keep;
    wg_u[1] = mode;
    wg_u[2] = token;
    wg_u[3] = kept;
    let s = row * STATE_WORDS;
    state[s + 2u] = tau_k;
    state[s + 3u] = tau_i;
  }
  workgroupBarrier();
  let keep = wg_u[0];
  let seed = vec2u(params[p + P_SEED_LO], params[p + P_SEED_HI]);
  let seq = params[p + P_SEQ];
  let pos = params[p + P_POS];
  for (var j = tid; j < keep; j += WG) {
    let score = key_value(keys[j]) / temp + gumbel(seed, seq, pos, idx[j]);
    slot[2u * RAW_K + j] = bitcast<u32>(score);
  }
  workgroupBarrier();
  let log_z = wg_f[0] + log(wg_f[1]);
  let o = row * OUT_WORDS;
  if (tid == 0u) {
    var token = wg_u[2];
    if (keep > 0u) {
      var best = 0u;
      for (var j = 1u; j < keep; j++) {
        let sj = bitcast<f32>(slot[2u * RAW_K + j]);
        let sb = bitcast<f32>(slot[2u * RAW_K + best]);
        if (sj > sb || (sj == sb && idx[j] < idx[best])) {
          best = j;
        }
      }
      token = idx[best];
    }
    let s = row * STATE_WORDS;
    state[s] = wg_u[1];
    state[s + 1u] = token;
    state[s + 4u] = bitcast<u32>(temp);
    state[s + 5u] = bitcast<u32>(wg_f[0]);
    state[s + 6u] = bitcast<u32>(log(wg_f[1]));
    state[s + 7u] = 0u;
    let entropy = log(wg_f[1]) - wg_f[2] / wg_f[1];
    let certainty = log(f32(vocab)) + wg_f[3] / f32(vocab) - log_z;
    var ntop = 0u;
    while (ntop < TOP_N && slot[RAW_K + ntop] != NONE) {
      ntop++;
    }
    out[o + 2u] = bitcast<u32>(entropy);
    out[o + 3u] = bitcast<u32>(certainty);
    out[o + 4u] = bitcast<u32>(log_z);
    out[o + 5u] = ntop;
    out[o + 6u] = wg_u[3];
    out[o + 7u] = 0u;
  }
  for (var j = tid; j < TOP_N; j += WG) {
    let t = slot[RAW_K + j];
    out[o + 8u + j] = t;
    out[o + 8u + TOP_N + j] = select(0x7fc00000u, bitcast<u32>(key_value(slot[j]) - log_z), t != NONE);
  }
}

@compute @workgroup_size(WG)
fn sweep(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) tid: u32) {
  let row = wid.y;
  let c = wid.x;
  let s = row * STATE_WORDS;
  if (tid == 0u) {
    wg_flag = state[s];
  }
  let mode = workgroupUniformLoad(&wg_flag);
  if (mode != MODE_SWEEP) {
    return;
  }
  let p = row * PARAM_WORDS;
  let base = c * SORT_N;
  let vocab = dims.vocab;
  build_slots(p, base, tid);
  let tau_k = state[s + 2u];
  let tau_i = state[s + 3u];
  let temp = bitcast<f32>(state[s + 4u]);
  let seed = vec2u(params[p + P_SEED_LO], params[p + P_SEED_HI]);
  let seq = params[p + P_SEQ];
  let pos = params[p + P_POS];
  var best = NEG;
  var best_i = NONE;
  // Four consecutive tokens per step: one Philox evaluation serves all four.
  for (var g = tid; g < SORT_N / 4u; g += WG) {
    let t0 = base + 4u * g;
    if (t0 >= vocab) {
      break;
    }
    let noise = gumbel4(seed, seq, pos, t0 >> 2u);
    for (var q = 0u; q < 4u; q++) {
      let t = t0 + q;
      let sl = slot[4u * g + q];
      if (t < vocab && sl != NONE) {
        let a = adjusted(p, logits[row * vocab + t], sl);
        let k = order_key(a);
        if (k > tau_k || (k == tau_k && t <= tau_i)) {
          let score = a / temp + noise[q];
          if (score > best) {
            best = score;
            best_i = t;
          }
        }
      }
    }
  }
  workgroupBarrier();
  keys[tid] = bitcast<u32>(best);
  idx[tid] = best_i;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h >> 1u) {
    if (tid < h) {
      let sa = bitcast<f32>(keys[tid]);
      let sb = bitcast<f32>(keys[tid + h]);
      if (sb > sa || (sb == sa && idx[tid + h] < idx[tid])) {
        keys[tid] = keys[tid + h];
        idx[tid] = idx[tid + h];
      }
    }
    workgroupBarrier();
  }
  if (tid == 0u) {
    sweep_best[row * dims.chunks + c] = vec2u(keys[0], idx[0]);
  }
}

@compute @workgroup_size(1)
fn finish(@builtin(workgroup_id) wid: vec3u) {
  let row = wid.x;
  let s = row * STATE_WORDS;
  let vocab = dims.vocab;
  var token = state[s + 1u];
  if (state[s] == MODE_SWEEP) {
    var best = NEG;
    token = NONE;
    for (var c = 0u; c < dims.chunks; c++) {
      let e = sweep_best[row * dims.chunks + c];
      let sc = bitcast<f32>(e.x);
      if (e.y != NONE && (sc > best || (sc == best && e.y < token))) {
        best = sc;
        token = e.y;
      }
    }
  }
  let o = row * OUT_WORDS;
  out[o] = token;
  var lp = 0x7fc00000u;
  if (token < vocab) {
    lp = bitcast<u32>(logits[row * vocab + token] - bitcast<f32>(state[s + 5u]) - bitcast<f32>(state[s + 6u]));
  }
  out[o + 1u] = lp;
}
