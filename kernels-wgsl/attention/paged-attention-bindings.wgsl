// The Params uniform, bindings and constants both paged-attention kernels declare (the tiled
// paged-attention.wgsl and the serial paged-attention-serial.wgsl), prepended to either by the op
// (packages/gpu/src/ops/attention/paged-attention.ts): one layout, so either kernel serves a plan.
const PAGE_TOKENS: u32 = 16u;
// Masked score; finite so that (NEG − NEG) stays 0 rather than NaN.
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
  window: u32,    // keys a query sees, itself included (sliding window); 0: all keys from 0
  scale: f32,
  softcap: f32,   // c of the score soft-cap c·tanh(s/c) (Gemma 2); 0: none
  _pad0: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> kPool: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> vPool: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> blockTable: array<u32>;
@group(0) @binding(5) var<storage, read> rowInfo: array<u32>;
@group(0) @binding(6) var<storage, read_write> out: array<vec4<f32>>;
// Per (row, head, split): HD/4 unnormalised output vec4s, then (m, l, 0, 0).
@group(0) @binding(7) var<storage, read_write> partial: array<vec4<f32>>;

// The first key a query at `pos` sees: pos + 1 − window inside a sliding window (llama.cpp's
// standard SWA mask: key p0 is masked when pos − p0 ≥ window), else 0.
fn first_key(pos: u32) -> u32 {
  if (P.window == 0u || pos < P.window) {
    return 0u;
  }
  return pos + 1u - P.window;
}

// A scaled score soft-capped to c·tanh(s/c) when P.softcap = c > 0; tanh from exp of a
// non-positive argument (no overflow), the sign put back.
fn soft_cap(s: f32) -> f32 {
  if (P.softcap <= 0.0) {
    return s;
  }
  let z = s / P.softcap;
  let t = exp(-2.0 * abs(z));
  return sign(z) * P.softcap * (1.0 - t) / (1.0 + t);
}
