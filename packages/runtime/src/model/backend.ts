// The interface between the engine (sequences, pages, batching) and a model that computes:
// one forward pass over rows of (slot, position, token), writing K/V into pages named by the
// block table and sampling the next token for the rows that ask for it. The GPU model and
// the float64 CPU model both implement it, so the engine is tested the same on both.
import type { SamplingParams, StepWants } from '../engine/types.ts';
import type { PageCopy } from '../kv/paged-kv-cache.ts';

/** One token computed in a pass. */
export interface PassRow {
  /** Block-table row of its sequence. */
  slot: number;
  /** Position of the token in its sequence. */
  position: number;
  /** Token id. */
  token: number;
}

/** How one logits row is turned into a token. */
export interface RowSampling {
  /** Index into `ForwardPass.rows` whose logits are sampled. */
  row: number;
  /** Sampling parameters of the sequence. */
  params: SamplingParams;
  /** Counter-based stream key: (seed, stream, position) picks the random number. */
  stream: number;
  /** Position of the token being sampled (the counter). */
  position: number;
  /** Extra statistics to return. */
  want: StepWants | undefined;
  /** Take this token instead of sampling (its log-probability is still reported). */
  forceToken: number | undefined;
  /** Tokens already in the sequence (for penalties), when any penalty is set. */
  history: readonly number[] | undefined;
  /**
   * The grammar's allowed tokens for a constrained sequence (packed bits: bit t % 32 of word
   * t / 32). A backend calls it when it reaches the sampler — the GPU model after submitting the
   * layers, so the mask is computed while the GPU runs them.
   */
  allowed?: () => Promise<Uint32Array>;
}

/** One pass of a step: rows to compute, pages to copy first, rows to sample. */
export interface ForwardPass {
  /** Tokens to compute, grouped by sequence with increasing positions. */
  rows: PassRow[];
  /** Copy-on-write page copies to perform before any K/V is written. */
  copies: PageCopy[];
  /** Block-table rows that changed: the whole `u32 [numSlots][maxPagesPerSeq]` table is passed, plus which slots. */
  blockTable: Uint32Array;
  /** Slots whose rows changed since the previous pass. */
  dirtySlots: number[];
  /** Rows whose next-token distribution is sampled, in result order. */
  sample: RowSampling[];
  /** Stops the pass at the next op boundary where the backend can (wasm); the pass then rejects with `aborted` and commits nothing. */
  signal?: AbortSignal;
}

/** The outcome of sampling one row. */
export interface SampledToken {
  /** Chosen (or forced) token. */
  token: number;
  /** Its log-probability under the temperature-1 distribution. */
  logprob: number;
  /** Top log-probabilities, most likely first, when asked for. */
  topLogprobs?: { token: number; logprob: number }[];
  /** Entropy (nats), when asked for. */
  entropy?: number;
  /** Mean over the vocabulary of log(V·p), when asked for. */
  selfCertainty?: number;
}

/** Sizes a backend allocates its KV pools for. */
export interface KvGeometry {
  /** Pages per layer pool. */
  numPages: number;
  /** Tokens per page. */
  pageTokens: number;
  /** Block-table rows. */
  numSlots: number;
  /** Block-table columns. */
  maxPagesPerSeq: number;
}

/** GPU (or CPU) memory a backend holds. */
export interface BackendMemory {
  /** Weights. */
  weightBytes: number;
  /** KV pools (every page, used or not). */
  kvBytes: number;
  /** Everything else: activations, staging, uniforms. */
  scratchBytes: number;
  /** Bytes of one page across all layers, K and V. */
  bytesPerPage: number;
}

/** A loaded model able to run forward passes over paged KV. */
export interface ModelBackend {
  /** Runs one pass and samples the requested rows (in `pass.sample` order). */
  forward(pass: ForwardPass): Promise<SampledToken[]>;
  /** Memory held. */
  memory(): BackendMemory;
  /** Releases everything (GPU buffers are destroyed). */
  destroy(): void;
}
