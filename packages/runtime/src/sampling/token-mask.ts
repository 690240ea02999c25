// Constrained rows on the CPU, and the CPU side of constrained rows on the GPU: masking a logits
// row with a grammar's packed allowed-token bitmask, and reading the sampler's statistics as
// statistics of the allowed set. Convention: a constrained row's log-probabilities, entropy,
// self-certainty and top log-probabilities are those of the model's distribution renormalised
// over the tokens the grammar allows — the distribution the token was actually drawn from.
import type { RowSampling, SampledToken } from '../model/backend.ts';

/** True when token `t` is allowed by `mask` (bit t % 32 of word t / 32). */
export function isAllowed(mask: Uint32Array, t: number): boolean {
  return (((mask[t >>> 5] as number) >>> (t & 31)) & 1) === 1;
}

/** Tokens of `[0, vocab)` allowed by `mask`. */
export function allowedCount(mask: Uint32Array, vocab: number): number {
  let n = 0;
  for (let w = 0; w < mask.length; w++) {
    let x = mask[w] as number;
    if (w === mask.length - 1 && vocab % 32 !== 0) x &= (1 << (vocab % 32)) - 1;
    x -= (x >>> 1) & 0x55555555;
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    n += (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return n;
}

/** Sets the logits of disallowed tokens of one row to −∞, in place. */
export function maskLogits(row: Float32Array, mask: Uint32Array): void {
  for (let w = 0; w < mask.length; w++) {
    const bits = mask[w] as number;
    if (bits === 0xffffffff) continue;
    const end = Math.min(32, row.length - w * 32);
    for (let b = 0; b < end; b++) if (((bits >>> b) & 1) === 0) row[w * 32 + b] = Number.NEGATIVE_INFINITY;
  }
}

/** Masks each constrained row of `logits` (row i of `sample` at i·vocab) once its mask is ready. */
export async function maskSampledRows(
  logits: Float32Array,
  vocab: number,
  sample: readonly RowSampling[],
): Promise<void> {
  for (let i = 0; i < sample.length; i++) {
    const allowed = sample[i]?.allowed;
    if (allowed) maskLogits(logits.subarray(i * vocab, (i + 1) * vocab), await allowed());
  }
}

/**
 * A GPU-sampled constrained row made consistent with the convention: the WGSL sampler's
 * self-certainty sums the allowed logits but divides by the whole vocabulary (it does not count
 * them), so it is rescaled to the `allowed` tokens.
 */
export function rescaleSelfCertainty(
  s: SampledToken,
  vocab: number,
  allowed: number,
  logZ: number,
): SampledToken {
  const out = { ...s };
  if (out.selfCertainty !== undefined && allowed > 0 && allowed !== vocab) {
    const sum = (out.selfCertainty - Math.log(vocab) + logZ) * vocab;
    out.selfCertainty = Math.log(allowed) + sum / allowed - logZ;
  }
  return out;
}
