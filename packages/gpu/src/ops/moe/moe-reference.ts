// Float64 CPU references of the MoE ops (routing, grouping, expert matmul), for tests and
// runtime parity checks. Routing follows llama.cpp's build_moe_ffn: softmax over the router
// logits, top-k, weights = the selected probabilities, divided by their sum when `norm_w`,
// times `expert_weights_scale`.
import { dequantize } from '../../quant/dequantize.ts';
import { type GgmlTypeName, ggmlRowBytes, ggmlType } from '../../quant/ggml-types.ts';

/** Experts chosen per row and their weights. */
export interface MoeRouting {
  /** `[rows][topk]` expert ids, most probable first (ties → lower id). */
  selected: Uint32Array;
  /** `[rows][topk]` weights. */
  weights: Float64Array;
}

/** Routes `rows` rows of router logits `[rows][experts]` to their top-k experts. */
export function moeRouteReference(
  router: Float32Array,
  rows: number,
  experts: number,
  topk: number,
  normalize: boolean,
  scale = 1,
): MoeRouting {
  const selected = new Uint32Array(rows * topk);
  const weights = new Float64Array(rows * topk);
  for (let r = 0; r < rows; r++) {
    const l = router.subarray(r * experts, (r + 1) * experts);
    const m = Math.max(...l);
    let s = 0;
    for (const v of l) s += Math.exp(v - m);
    const order = [...Array(experts).keys()].sort((a, b) => (l[b] as number) - (l[a] as number) || a - b);
    let sum = 0;
    for (let q = 0; q < topk; q++) {
      const e = order[q] as number;
      const p = Math.exp((l[e] as number) - m) / s;
      selected[r * topk + q] = e;
      weights[r * topk + q] = p;
      sum += p;
    }
    for (let q = 0; q < topk; q++)
      weights[r * topk + q] = ((weights[r * topk + q] as number) * scale) / (normalize ? sum : 1);
  }
  return { selected, weights };
}

/** The groups buffer MoeGatingOp writes: counts, exclusive offsets (+ total), assignments by expert. */
export function moeGroupReference(selected: Uint32Array, experts: number): Uint32Array {
  const n = selected.length;
  const out = new Uint32Array(2 * experts + 1 + n);
  for (const e of selected) out[e] = (out[e] as number) + 1;
  let run = 0;
  for (let e = 0; e < experts; e++) {
    out[experts + e] = run;
    run += out[e] as number;
  }
  out[2 * experts] = run;
  let w = 2 * experts + 1;
  for (let e = 0; e < experts; e++) for (let a = 0; a < n; a++) if (selected[a] === e) out[w++] = a;
  return out;
}

/**
 * y[a][j] = Σ_c W[e(a)][j][c] · x[row(a)·xRowStride + slot(a)·xSlotStride + c] in float64, with
 * W the expert tensor's bytes (`[experts][n][k]` of `dtype`) dequantized by the CPU reference codec.
 */
export function expertMatmulReference(
  weightBytes: Uint8Array,
  dtype: GgmlTypeName,
  experts: number,
  n: number,
  k: number,
  x: Float32Array,
  selected: Uint32Array,
  topk: number,
  xRowStride = k,
  xSlotStride = 0,
): Float64Array {
  const rowBytes = ggmlRowBytes(ggmlType(dtype), k);
  const rows = selected.length / topk;
  const y = new Float64Array(rows * topk * n);
  const cache = new Map<number, Float32Array>();
  const matrix = (e: number) => {
    let w = cache.get(e);
    if (!w) {
      w = dequantize(dtype, weightBytes.subarray(e * n * rowBytes, (e + 1) * n * rowBytes), n * k);
      cache.set(e, w);
    }
    return w;
  };
  for (let a = 0; a < rows * topk; a++) {
    if ((selected[a] as number) >= experts) throw new Error(`expert ${selected[a]} out of range`);
    const w = matrix(selected[a] as number);
    const xb = Math.floor(a / topk) * xRowStride + (a % topk) * xSlotStride;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += (w[j * k + c] as number) * (x[xb + c] as number);
      y[a * n + j] = s;
    }
  }
  return y;
}
