// Constrained decoding: sets the logits of tokens a grammar does not allow to −∞, before the
// sampler, so that sampling, top-k/top-p, log-probabilities, entropy and top log-probabilities
// are all over the allowed set (renormalised). One invocation per 32-token mask word of a row;
// the mask is packed as XGrammar's bitmask (bit t % 32 of word t / 32 set = token t allowed).
override WG: u32 = 64u;

struct Params {
  rows: u32,   // logits rows
  vocab: u32,  // logits per row
  words: u32,  // mask words per row = ceil(vocab / 32)
  zero: u32,   // always 0: builds −∞ at run time (a constant −∞ is a WGSL shader-creation error)
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> logits: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let w = gid.x;
  let row = gid.y;
  if (w >= P.words || row >= P.rows) {
    return;
  }
  let bits = mask[row * P.words + w];
  if (bits == 0xffffffffu) {
    return;
  }
  // bitcast<f32>(0xff800000u) alone is a const-expression, and WGSL rejects a constant that is
  // not finite (Tint: "value -inf cannot be represented as 'f32'"); OR-ing a uniform keeps it a
  // run-time value.
  let neg_inf = bitcast<f32>(0xff800000u | P.zero);
  let base = row * P.vocab;
  let end = min(32u, P.vocab - w * 32u);
  for (var b = 0u; b < end; b++) {
    if (((bits >> b) & 1u) == 0u) {
      logits[base + w * 32u + b] = neg_inf;
    }
  }
}
