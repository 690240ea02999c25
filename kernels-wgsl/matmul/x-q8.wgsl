// x rounded to 8 bits per block of 32 and written back as f32 (q · d, quant/q8-activations.wgsl),
// for the q4_0 matmul kernels other than gemv-swar-q4_0.wgsl when the device rounds activations
// (KernelContext.q8Activations): all of them then compute with the values the SWAR kernel does,
// so a row's result does not depend on how many rows share its dispatch. One invocation per block.

struct XParams {
  // 32-value blocks in x
  blocks: u32,
  // workgroups along x of the dispatch grid
  groups_x: u32,
}

@group(0) @binding(0) var<uniform> p: XParams;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> xq: array<vec4<f32>>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let b = (wid.x + wid.y * p.groups_x) * WG + t;
  if (b >= p.blocks) {
    return;
  }
  let i = b * 8u;
  let q = x_q8(i);
  xq[i] = q.q0 * q.d;
  xq[i + 1u] = q.q1 * q.d;
  xq[i + 2u] = q.q2 * q.d;
  xq[i + 3u] = q.q3 * q.d;
  xq[i + 4u] = q.q4 * q.d;
  xq[i + 5u] = q.q5 * q.d;
  xq[i + 6u] = q.q6 * q.d;
  xq[i + 7u] = q.q7 * q.d;
}
