// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel
// random numbers: as easy as 1, 2, 3" (SC'11), bit-identical to kernels-wgsl/sampling/common.wgsl.
// A sampler's random stream is keyed by (seed, sequence, position): a row's draw depends on
// nothing else in its batch.

/** Philox4x32 round multipliers (M0, M1) and key increments (W0, W1), from the paper. */
export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;
const M0 = PHILOX_M0;
const M1 = PHILOX_M1;
const W0 = PHILOX_W0;
const W1 = PHILOX_W1;

/** High 32 bits of the 64-bit product of two u32 (from 16-bit halves, exact in doubles). */
export function mulhi(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) >>> 0;
}

/** Philox4x32 with 10 rounds: four u32 outputs for a 4×u32 counter and a 2×u32 key. */
export function philox4x32_10(
  counter: readonly [number, number, number, number],
  key: readonly [number, number],
): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0) as [number, number, number, number];
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

/** A non-negative integer seed (up to 2^53 − 1) as the Philox key (low word, high word). */
export function seedKey(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/**
 * The uniform in (0, 1) the sampler draws for `token` at (seed, sequence, position):
 * Philox word token % 4 of counter (token / 4, position, sequence, 0), top 23 bits q, as
 * (q + 1/2)·2^-23 (exact in f32, as the WGSL computes it).
 */
export function streamUniform(
  key: readonly [number, number],
  sequence: number,
  position: number,
  token: number,
): number {
  const w = philox4x32_10([token >>> 2, position, sequence, 0], key)[token & 3] as number;
  return ((w >>> 9) + 0.5) / 8388608;
}

/** Gumbel(0, 1) noise −log(−log u) for `token` of the stream, in float64. */
export function streamGumbel(
  key: readonly [number, number],
  sequence: number,
  position: number,
  token: number,
): number {
  return -Math.log(-Math.log(streamUniform(key, sequence, position, token)));
}
