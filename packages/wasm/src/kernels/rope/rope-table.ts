// The host-side (cos θ, sin θ) table the RoPE kernel reads (RoFormer, Su et al. 2021, with
// llama.cpp's frequency conventions, ggml rope_yarn with ext_factor 0): for position p and pair
// i < ropeDims/2, θ = (p / linearScale) · base^(−2i / ropeDims) / freqFactors[i], and both
// multiplied by ggml's attn_factor (`magnitude`), computed in float64 and rounded to f32 once.

/** Inputs of the RoPE table. */
export interface RopeTableSpec {
  /** Rotated dimensions per head (even, ≤ head dim). */
  ropeDims: number;
  /** Frequency base (GGUF rope.freq_base). */
  base: number;
  /** Positions the table covers (0 … maxPositions − 1). */
  maxPositions: number;
  /** Per-pair frequency divisors (GGUF rope_freqs.weight, llama 3.1), ropeDims/2 of them. */
  freqFactors?: ArrayLike<number>;
  /** Linear position scaling: positions are divided by it (llama.cpp freq_scale = 1 / linearScale). */
  linearScale?: number;
  /** Multiplier of cos and sin (ggml rope's attn_factor, e.g. Phi-3 LongRoPE's; default 1). */
  magnitude?: number;
}

/** Builds `f32 [maxPositions][ropeDims/2][2]` = (cos θ, sin θ). */
export function buildRopeTable(spec: RopeTableSpec): Float32Array {
  const { ropeDims, base, maxPositions } = spec;
  const half = ropeDims / 2;
  if (!(Number.isInteger(half) && half > 0)) throw new RangeError(`rope table: ropeDims ${ropeDims}`);
  if (spec.freqFactors && spec.freqFactors.length < half) {
    throw new RangeError(`rope table: ${spec.freqFactors.length} frequency factors for ${half} pairs`);
  }
  const scale = spec.linearScale ?? 1;
  const m = spec.magnitude ?? 1;
  const inv = Float64Array.from({ length: half }, (_, i) => {
    const factor = spec.freqFactors ? (spec.freqFactors[i] as number) : 1;
    return base ** ((-2 * i) / ropeDims) / factor;
  });
  const table = new Float32Array(maxPositions * half * 2);
  for (let p = 0; p < maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      const theta = (p / scale) * (inv[i] as number);
      table[2 * (p * half + i)] = m * Math.cos(theta);
      table[2 * (p * half + i) + 1] = m * Math.sin(theta);
    }
  }
  return table;
}
