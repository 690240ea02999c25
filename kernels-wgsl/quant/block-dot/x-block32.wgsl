// Activations of one 32-value weight block (q4_0, q4_1, q8_0), read once from the kernel's
// `x: array<vec4<f32>>` binding and shared by every weight row a kernel dots with them
// (matmul/gemv-rows.wgsl), with their sum: the types' offset / minimum terms multiply it once
// per block (Σ (d·q + c)·x = d·Σ q·x + c·Σ x) instead of once per value.
// block-dot/<type>.wgsl defines `fn w_block_dot(blk: WBlock, xs: ptr<function, XBlock>) -> f32` over it.

struct XBlock {
  // values 0–3, 4–7, …, 28–31
  v0: vec4<f32>,
  v1: vec4<f32>,
  v2: vec4<f32>,
  v3: vec4<f32>,
  v4: vec4<f32>,
  v5: vec4<f32>,
  v6: vec4<f32>,
  v7: vec4<f32>,
  sum: f32,
}

/** The 32 activations from vec4 index `i` of `x`. */
fn x_block(i: u32) -> XBlock {
  let v0 = x[i];
  let v1 = x[i + 1u];
  let v2 = x[i + 2u];
  let v3 = x[i + 3u];
  let v4 = x[i + 4u];
  let v5 = x[i + 5u];
  let v6 = x[i + 6u];
  let v7 = x[i + 7u];
  let sum = dot(((v0 + v1) + (v2 + v3)) + ((v4 + v5) + (v6 + v7)), vec4<f32>(1.0));
  return XBlock(v0, v1, v2, v3, v4, v5, v6, v7, sum);
}

/** The low nibbles of a word's four bytes, as f32 (byte i → component i). */
fn nibbles4(w: u32) -> vec4<f32> {
  return vec4<f32>((vec4<u32>(w) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xfu));
}

/** Σ q·x of the 32 nibbles of a q4_0 / q4_1 block's 16 bytes (low nibbles are values 0–15). */
fn nibble_block_dot(q: vec4<u32>, xs: ptr<function, XBlock>) -> f32 {
  let lo = dot(nibbles4(q.x), (*xs).v0) + dot(nibbles4(q.y), (*xs).v1) + dot(nibbles4(q.z), (*xs).v2) + dot(nibbles4(q.w), (*xs).v3);
  let hi = q >> vec4<u32>(4u);
  return lo + (dot(nibbles4(hi.x), (*xs).v4) + dot(nibbles4(hi.y), (*xs).v5) + dot(nibbles4(hi.z), (*xs).v6) + dot(nibbles4(hi.w), (*xs).v7));
}
