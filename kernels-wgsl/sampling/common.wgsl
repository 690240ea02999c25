// Shared by every sampler kernel (concatenated in front of sampler.wgsl by the op).
// Layouts are documented in packages/gpu/src/ops/sampling/sampler-params.ts.

const NONE: u32 = 0xffffffffu;
const PARAM_WORDS: u32 = 16u;   // words per row record in the params buffer
const OUT_WORDS: u32 = 48u;     // words per row in the output buffer
const TOP_N: u32 = 20u;         // top log-probabilities reported per row
const RAW_K: u32 = 32u;         // candidates kept per list in the raw (model) chain
const STATS_WORDS: u32 = 8u;    // words per (row, chunk) partial statistics
const STATE_WORDS: u32 = 8u;    // words per row of select → sweep/finish state
const NEG: f32 = -3.0e38;       // "minus infinity" that stays finite in exp/max arithmetic
const MODE_DONE: u32 = 0u;      // token decided by select (argmax, forced, or sampled from candidates)
const MODE_SWEEP: u32 = 1u;     // token sampled by the full-vocabulary sweep

// Per-dispatch dimensions (a small uniform the op owns; one per distinct dispatch shape).
struct Dims {
  rows: u32,
  vocab: u32,
  chunks: u32,      // vocabulary chunks of SORT_N tokens
  kc: u32,          // candidates per list in the adjusted (sampling) chain
  lists_in: u32,    // merge: lists read per row
  lists_out: u32,   // merge: lists written per row
  k: u32,           // merge: entries per list
  pad: u32,
}

// Row record fields (word offsets inside a PARAM_WORDS record).
const P_TEMP: u32 = 0u;
const P_TOPK: u32 = 1u;
const P_TOPP: u32 = 2u;
const P_MINP: u32 = 3u;
const P_REP: u32 = 4u;
const P_FREQ: u32 = 5u;
const P_PRES: u32 = 6u;
const P_SEED_LO: u32 = 7u;
const P_SEED_HI: u32 = 8u;
const P_SEQ: u32 = 9u;
const P_POS: u32 = 10u;
const P_FORCE: u32 = 11u;
const P_PEN_OFF: u32 = 12u;
const P_PEN_COUNT: u32 = 13u;
const P_BAN_OFF: u32 = 14u;
const P_BAN_COUNT: u32 = 15u;

// 32×32 → 64-bit product as (hi, lo), from 16-bit halves (WGSL has no 64-bit integers).
fn mulhilo(a: u32, b: u32) -> vec2u {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  let hi = ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
  return vec2u(hi, a * b);
}

// Philox4x32-10: Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
// SC'11. Multipliers, Weyl key increments and round structure as in the paper (Random123).
fn philox4x32_10(ctr: vec4u, key: vec2u) -> vec4u {
  var c = ctr;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    if (r > 0u) {
      k = k + vec2u(0x9E3779B9u, 0xBB67AE85u);
    }
    let p0 = mulhilo(0xD2511F53u, c.x);
    let p1 = mulhilo(0xCD9E8D57u, c.z);
    c = vec4u(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
  }
  return c;
}

// Gumbel(0, 1) noise for `token` of the stream (seed, sequence, position): counter
// (token / 4, position, sequence, 0), key (seed lo, seed hi), word token % 4; its top 23 bits
// give u = (q + 1/2)·2^-23 in (0, 1) and 1 − u, both exact in f32. g = −log(−log u), with
// −log u from a series when u > 15/16 (WGSL's log has only 2^-21 absolute accuracy near 1,
// which would corrupt exactly the largest noise values, those that win the argmax).
// Gumbel-max (argmax of logit/T + g) draws exactly from softmax(logit/T) with no prefix sum:
// E. J. Gumbel (1954); Maddison, Tarlow, Minka, "A* sampling" (NeurIPS 2014).
fn gumbel_of(w: u32) -> f32 {
  let h = f32(w >> 9u) + 0.5;
  let u = h * (1.0 / 8388608.0);
  let v = (8388608.0 - h) * (1.0 / 8388608.0);
  var e: f32;
  if (v < 0.0625) {
    e = v * (1.0 + v * (0.5 + v * (1.0 / 3.0 + v * (0.25 + v * (0.2 + v * (1.0 / 6.0))))));
  } else {
    e = -log(u);
  }
  return -log(e);
}

fn gumbel(seed: vec2u, seq: u32, pos: u32, token: u32) -> f32 {
  return gumbel_of(philox4x32_10(vec4u(token >> 2u, pos, seq, 0u), seed)[token & 3u]);
}

// The noise of tokens 4·block .. 4·block + 3 from one Philox evaluation.
fn gumbel4(seed: vec2u, seq: u32, pos: u32, block: u32) -> vec4f {
  let w = philox4x32_10(vec4u(block, pos, seq, 0u), seed);
  return vec4f(gumbel_of(w.x), gumbel_of(w.y), gumbel_of(w.z), gumbel_of(w.w));
}

// Order-preserving map of a finite f32 to u32 (larger value → larger key); -0 maps like +0.
fn order_key(x: f32) -> u32 {
  let b = bitcast<u32>(select(x, 0.0, x == 0.0));
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn key_value(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}

// (key a, index a) ranks before (key b, index b): larger value first, then lower token id.
fn better(ka: u32, ia: u32, kb: u32, ib: u32) -> bool {
  return ka > kb || (ka == kb && ia < ib);
}

// llama.cpp's penalty rule (llama_sampler_penalties): repetition penalty divides positive
// logits and multiplies non-positive ones, then frequency × count + presence is subtracted.
fn penalised(l: f32, count: u32, rep: f32, freq: f32, pres: f32) -> f32 {
  var v = select(l / rep, l * rep, l <= 0.0);
  return v - (f32(count) * freq + pres);
}
