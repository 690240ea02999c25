// What a strategy module is and what it is given. Strategies see only the Generator (ARCHITECTURE.md):
// they fork, extend, score and prune branches, and say which branch won.

import type { Branch } from '../generator/branch.ts';
import type { Generator } from '../generator/types.ts';
import type { AnswerOptions } from '../verifiers/answer.ts';
import type { Verifier } from '../verifiers/types.ts';

/** A strategy as callers write it: `name[@samples]` or an object with parameters. */
export type StrategySpec = string | StrategyObject;

/** Strategy object form: a name, a sample count and strategy-specific parameters. */
export interface StrategyObject {
  /** Registered name or alias (`sc`, `self-consistency`, …). */
  name: string;
  /** Samples / beams / particles (the `@N`). */
  samples?: number;
  /** Strategy-specific parameters (see each strategy's `params`). */
  [param: string]: unknown;
}

/** Everything a strategy run gets. */
export interface StrategyContext {
  /** The decode loop. */
  gen: Generator;
  /** The prefilled prompt; fork candidates from it (never extend it). */
  root: Branch;
  /** Samples / beams / particles to use. */
  samples: number;
  /** Most sequences to decode in parallel (from the planner). */
  batchWidth: number;
  /** Choices the caller wants back (OpenAI `n`). */
  n: number;
  /** Strategy-specific parameters, validated by the strategy. */
  params: Readonly<Record<string, unknown>>;
  /** Outcome verifier (best-of-N, weighted SC); the runner supplies a default where one is needed. */
  verifier: Verifier;
  /** Step scorer for beam search, DVTS and particle filtering. */
  stepScorer: Verifier;
  /** How answers are extracted for voting. */
  answer: AnswerOptions;
  /** The run's seed (resampling draws derive from it). */
  seed: number;
  /** The prompt as text, for verifiers. */
  prompt: string;
  /** Time limit per verifier call. */
  verifierTimeoutMs: number;
  /** Cancels the run. */
  signal: AbortSignal | undefined;
}

/** What a strategy returns. */
export interface StrategyOutcome {
  /** Finished candidates, best first (the first `n` become the choices). */
  ranked: Branch[];
  /** The chosen candidate, or null when the strategy abstained. */
  winner: Branch | null;
  /** The winning extracted answer, for voting strategies. */
  answer?: string | null;
  /** True when no candidate passed and the caller allowed abstention. */
  abstained?: boolean;
  /** Strategy-specific numbers (samples saved, threshold, …) for the report. */
  stats?: Record<string, number>;
}

/** A strategy module. */
export interface StrategyDefinition {
  /** Canonical short name (ARCHITECTURE.md). */
  name: string;
  /** Other names it answers to. */
  aliases: readonly string[];
  /** One line for listings. */
  summary: string;
  /** Samples when the caller gives none. */
  defaultSamples: number;
  /** Parameter name → one-line description. */
  params: Readonly<Record<string, string>>;
  /** Whether it needs the outcome verifier's scores (the runner then supplies a default). */
  usesVerifier: boolean;
  /** Whether it searches over reasoning steps with the step scorer. */
  usesStepScorer: boolean;
  /** Whether it improves with every step until stopped: under a budget N is not lowered, the budget stops the run. */
  anytime?: boolean;
  /** Sequences it decodes at once, when it sets that itself (QAlign: its chains); default the planner's wave width. */
  decodeWidth?(params: Readonly<Record<string, unknown>>, samples: number): number;
  /** Per-token numbers the engine must read back. */
  wants?(params: Readonly<Record<string, unknown>>): { topLogprobs?: number };
  /** Every parameter with its effective value for this N and max tokens (the plan reports these). */
  resolveParams?(
    params: Readonly<Record<string, unknown>>,
    samples: number,
    maxTokens: number,
  ): Record<string, unknown>;
  /** Checks parameters before anything runs (throws `invalid-argument` naming `strategy.<param>`). */
  validate(params: Readonly<Record<string, unknown>>, samples: number, n: number): void;
  /** Runs the strategy. */
  run(ctx: StrategyContext): Promise<StrategyOutcome>;
}
