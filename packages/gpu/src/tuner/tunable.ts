import type { KernelConfig } from '../ops/context.ts';

/**
 * One op on one shape bucket, as the tuner sees it: a list of candidate configurations
 * (declared next to the kernel's WGSL source), the shipped default among them, and a way
 * to compile and record one run of a candidate. The tuner knows nothing else of the op.
 */
export interface Tunable {
  /** Op name, e.g. `matmul/gemv`. */
  op: string;
  /** Shape bucket the winner serves, e.g. `m1-k2048-n2048-q4_0`. */
  bucket: string;
  /** Candidate configurations (dozens, not thousands). */
  candidates: readonly KernelConfig[];
  /** Index of the shipped default in `candidates`. */
  defaultIndex: number;
  /** Compiles the kernel(s) for a candidate (called before timing it). */
  prepare(config: KernelConfig): Promise<void>;
  /** Records one run of the op with `config` into the encoder (its own compute passes). */
  encode(encoder: GPUCommandEncoder, config: KernelConfig): void;
  /** Work of one run, for GFLOP/s and effective GB/s in reports. */
  work: { flops: number; bytes: number };
  /** Frees buffers the tunable allocated for timing. */
  dispose?(): void;
}
