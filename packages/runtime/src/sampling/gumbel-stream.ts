// The sampler's Gumbel noise for one (seed, sequence, position), bit-identical to the gpu
// package's streamGumbel but allocation-free and computing each Philox block (4 tokens) once.
import { mulhi, PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1 } from '@ruminate/gpu';

const M0 = PHILOX_M0;
const M1 = PHILOX_M1;
const W0 = PHILOX_W0;
const W1 = PHILOX_W1;

/** Largest Gumbel value the stream can produce (its top uniform is (2^23 − 1/2)·2^-23), plus slack for log rounding. */
export const GUMBEL_MAX = -Math.log(-Math.log((8388607 + 0.5) / 8388608)) + 1e-6;

/** Gumbel noise −log(−log u) of a (seed, sequence, position) stream, by token. */
export class GumbelStream {
  private readonly k0: number;
  private readonly k1: number;
  private readonly sequence: number;
  private readonly position: number;
  private block = -1;
  private readonly words = new Uint32Array(4);

  /** The stream of `seed` (an integer in [0, 2^53)) at (sequence, position). */
  constructor(seed: number, sequence: number, position: number) {
    this.k0 = seed >>> 0;
    this.k1 = Math.floor(seed / 4294967296) >>> 0;
    this.sequence = sequence >>> 0;
    this.position = position >>> 0;
  }

  /** The noise for `token`, equal to streamGumbel(seedKey(seed), sequence, position, token). */
  at(token: number): number {
    const block = token >>> 2;
    if (block !== this.block) this.fill(block);
    const w = this.words[token & 3] as number;
    return -Math.log(-Math.log(((w >>> 9) + 0.5) / 8388608));
  }

  private fill(block: number): void {
    let c0 = block;
    let c1 = this.position;
    let c2 = this.sequence;
    let c3 = 0;
    let k0 = this.k0;
    let k1 = this.k1;
    for (let r = 0; r < 10; r++) {
      if (r > 0) {
        k0 = (k0 + W0) >>> 0;
        k1 = (k1 + W1) >>> 0;
      }
      const hi0 = mulhi(M0, c0);
      const lo0 = Math.imul(M0, c0) >>> 0;
      const hi1 = mulhi(M1, c2);
      const lo1 = Math.imul(M1, c2) >>> 0;
      const n0 = (hi1 ^ c1 ^ k0) >>> 0;
      const n2 = (hi0 ^ c3 ^ k1) >>> 0;
      c0 = n0;
      c1 = lo1;
      c2 = n2;
      c3 = lo0;
    }
    this.words[0] = c0;
    this.words[1] = c1;
    this.words[2] = c2;
    this.words[3] = c3;
    this.block = block;
  }
}
