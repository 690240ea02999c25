// Deterministic inputs for timing runs: realistic values without a random-number library.

/** `n` values in [-1, 1) from a xorshift stream seeded by `seed` (the tuner's matmul, attention and MoE inputs). */
export function pseudoRandom(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}
