// The uniform and bindings every matmul kernel (gemv.wgsl, gemv-rows.wgsl, gemm.wgsl) declares:
// the op records them all with one bind group layout. Prepended by the op, after the type's
// dequantization snippet. W is in its GGUF layout (`row_bytes` per row), x and y row-major f32.

struct Params {
  m: u32,
  k: u32,
  n: u32,
  // bit 0: add bias (only when SPLIT_K == 1)
  flags: u32,
  row_bytes: u32,
  groups_x: u32,
  // workgroups along n (GEMV kernels: the m-block of a workgroup is its linear index / groups_n)
  groups_n: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> wq: array<u32>;
#if X_PAIRS
// gemv-swar-q4_0.wgsl: x rounded and paired by x-q8-pairs.wgsl (matmul/q8-pairs-record.wgsl)
@group(0) @binding(2) var<storage, read> xp: array<u32>;
#else
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
#endif
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
