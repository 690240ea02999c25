// float64 RoPE reference shared by the rope and KV-write tests.

/** float64 reference: rotates heads [h0, h0+nHeads) of each row in place (llama.cpp's rope, ext_factor 0, cos and sin times attn_factor `magnitude`). */
export function refRope(
  x: Float64Array,
  rows: number,
  rowStride: number,
  offset: number,
  nHeads: number,
  headDim: number,
  positions: ArrayLike<number>,
  opts: {
    neox: boolean;
    base: number;
    scale?: number;
    nRot?: number;
    freqFactors?: ArrayLike<number>;
    magnitude?: number;
  },
): void {
  const nRot = opts.nRot ?? headDim;
  const m = opts.magnitude ?? 1;
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < nHeads; h++) {
      const b = r * rowStride + offset + h * headDim;
      for (let i = 0; i < nRot / 2; i++) {
        const theta =
          ((positions[r] as number) * opts.base ** ((-2 * i) / nRot)) /
          (opts.scale ?? 1) /
          ((opts.freqFactors?.[i] as number | undefined) ?? 1);
        const [a, c] = opts.neox ? [i, i + nRot / 2] : [2 * i, 2 * i + 1];
        const x0 = x[b + a] as number;
        const x1 = x[b + c] as number;
        x[b + a] = m * (x0 * Math.cos(theta) - x1 * Math.sin(theta));
        x[b + c] = m * (x0 * Math.sin(theta) + x1 * Math.cos(theta));
      }
    }
  }
}

/**
 * Tolerance for rotated values in [-1, 1] at positions < maxPos: the f32 angle (in turns,
 * pos·freq/2π) carries ~2 roundings of relative 2^-24, i.e. ~pos·1.2e-7 rad, times a pair
 * magnitude ≤ √2; the polynomial sin/cos adds < 1e-6.
 */
export function ropeTolerance(maxPos: number): { atol: number } {
  return { atol: 1e-6 + maxPos * 2e-7 };
}
