// Snippet (concatenated before kernels that rotate; not a kernel by itself).
// Rotary position embedding angle, as llama.cpp's ggml rope computes it with ext_factor 0
// (no YaRN ramp; the kernels multiply (cos, sin) by attn_factor, ggml/src/ggml-cpu/ops.cpp rope_yarn):
//   theta_i = pos · freqScale · base^(-2i / nRot) / freqFactor_i,   freqScale = 1 / linear scale,
// for pair i < nRot/2 (RoFormer, Su et al. 2021). freqFactor_i is 1 unless a model ships
// per-frequency factors (GGUF `rope_freqs.weight`, Llama 3.1). Returns (cos θ, sin θ).
fn rope_cos_sin(pos: u32, i: u32, nRot: u32, log2Base: f32, freqScale: f32, factor: f32) -> vec2f {
  let invFreq = exp2(-f32(2u * i) / f32(nRot) * log2Base) * freqScale / factor;
  return rope_cos_sin_turns(f32(pos) * (invFreq * 0.15915494309189535));
}

// (cos, sin) of an angle given in turns. WGSL bounds built-in sin/cos only to 2^-11 absolute
// (SwiftShader is off by ~3e-5), so reduce to an octant |x| ≤ π/4 and use Taylor polynomials
// (truncation < 4e-7 there), then rotate by the quadrant.
fn rope_cos_sin_turns(turns: f32) -> vec2f {
  let t = fract(turns);
  let q = round(t * 4.0);
  let x = (t - q * 0.25) * 6.283185307179586;
  let x2 = x * x;
  let s = x * (1.0 + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0))));
  let c = 1.0 + x2 * (-0.5 + x2 * (1.0 / 24.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 40320.0))));
  switch (u32(q) & 3u) {
    case 0u: { return vec2f(c, s); }
    case 1u: { return vec2f(-s, c); }
    case 2u: { return vec2f(-c, -s); }
    default: { return vec2f(s, -c); }
  }
}

// Dimension pair rotated by thread-pair p < headDim/2: llama ("normal") pairs (2p, 2p+1);
// NeoX (qwen2, gpt-neox) pairs (p, p + nRot/2). Pairs past nRot/2 cover the unrotated tail
// (2p, 2p+1) with p ≥ nRot/2, which callers copy unchanged.
fn rope_pair(p: u32, nRot: u32, neox: bool) -> vec2u {
  if (neox && p < nRot / 2u) {
    return vec2u(p, p + nRot / 2u);
  }
  return vec2u(2u * p, 2u * p + 1u);
}

// (x0, x1) rotated by (cos θ, sin θ).
fn rope_rotate(x: vec2f, cs: vec2f) -> vec2f {
  return vec2f(x.x * cs.x - x.y * cs.y, x.x * cs.y + x.y * cs.x);
}
