// Inputs and output of the budget planner.

/** What the planner needs of the device profile (packages/gpu measures the full one). */
export interface DeviceProfileLike {
  /** Measured memory bandwidth, GB/s. */
  bandwidthGBps?: number;
  /** Measured matmul rate, GFLOP/s. */
  gflops?: number;
  /** The same, as `@ruminate/gpu`'s DeviceProfile names it (so a DeviceProfile can be passed as is). */
  matmulGflops?: number;
  /** A stable name of the adapter, for cache keys. */
  name?: string;
}

/** Aggregate decode throughput at a number of parallel sequences. */
export interface SpeedPoint {
  /** Parallel sequences in one step. */
  width: number;
  /** Tokens per second summed over those sequences. */
  tokensPerSecond: number;
}

/** Decode (and prefill) speed of one model on one device, measured once and cached. */
export interface DecodeSpeed {
  /** Throughput at each measured width (1, 4 and 16 by default), ascending. */
  points: SpeedPoint[];
  /** Prompt tokens per second, when measured. */
  prefillTokensPerSecond?: number;
  /** `measured` on this device, or `estimated` from the device profile. */
  source: 'measured' | 'estimated';
}

/** The caller's budget. */
export interface Budget {
  /** Wall-clock budget for the whole request, milliseconds. */
  latencyMs?: number;
  /** Total generated tokens across all candidates. */
  tokens?: number;
}

/** What the planner decided, returned with every result and by `engine.plan(request)`. */
export interface Plan {
  /** Canonical strategy name. */
  strategy: string;
  /** Samples / beams / particles (the strategy's N; the CLI's `--n`). */
  n: number;
  /** Choices returned (OpenAI `n`). */
  choices: number;
  /** Most sequences decoded in parallel. */
  batchWidth: number;
  /** Per-candidate token limit. */
  maxTokens: number;
  /** Predicted wall-clock time (ms), or null without a speed measurement or estimate. */
  expectedMs: number | null;
  /** Predicted tokens generated (upper bound). */
  expectedTokens: number;
  /** Strategy parameters after planning. */
  params: Record<string, unknown>;
  /** The run's seed (replay with it). */
  seed: number;
  /** Throughput knee: the width beyond which parallel decoding stops paying (null when unknown). */
  knee: number | null;
  /** Most sequences the free KV memory holds at this length (null when unknown). */
  memorySequences: number | null;
  /** The budget planned for. */
  budget: Budget | null;
  /** Where the speed came from. */
  speedSource: 'measured' | 'estimated' | 'none';
  /** Why the numbers are what they are, one line each. */
  notes: string[];
}
