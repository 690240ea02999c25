// Stopping rules of adaptive self-consistency (Aggarwal et al. 2023, "Let's Sample Step by Step:
// Adaptive-Consistency for Efficient Reasoning and Coding with LLMs", EMNLP 2023): samples come
// in batches (earlier samples kept, the last batch cut to the sample cap), and after each batch a
// rule on the vote counts so far says whether to stop. The first batch has `batch` samples; later
// ones grow by `growth`:
//   double: each batch twice the last (totals b, 3b, 7b, …);
//   total:  each batch as large as everything drawn so far (totals b, 2b, 4b, …);
//   step:   `step` samples per batch (totals b, b + step, b + 2·step, …; the paper checks after
//           every sample).
// Rules:
//   beta:  with v1, v2 the two largest answer counts, stop once P(leader's share > 1/2) =
//          1 − I_{1/2}(v1 + 1, v2 + 1) ≥ level (the paper's Beta criterion; beta-rule.ts).
//   share: stop once the leading answer holds ≥ level of all samples drawn, unanswered ones
//          included (the paper's majority criterion; its_hub uses 0.75).
// The default was chosen on the bundled model's dev set, never its eval set:
// tools/trainer/select_asc_rule.py, results in docs/eval/asc-rule-dev.md.

import { betaStopProbability } from './beta-rule.ts';
import { tallyVotes } from './voting.ts';

/** Which test decides that an adaptive vote is settled. */
export type AscRuleName = 'beta' | 'share';

/** How batches after the first grow (see the header). */
export type AscGrowth = 'double' | 'total' | 'step';

/** A complete stopping rule: the test, its threshold and the batch schedule. */
export interface AscStoppingRule {
  /** `beta` (posterior probability that the leader is a majority) or `share` (leader's share). */
  rule: AscRuleName;
  /** Threshold in (0, 1]: probability for `beta`, share of samples for `share`. */
  level: number;
  /** Size of the first batch. */
  batch: number;
  /** How later batches grow. */
  growth: AscGrowth;
  /** Samples per later batch when `growth` is `step`. */
  step: number;
}

/**
 * The default rule of `asc`: Beta rule at 0.7, checked after 3 samples and then after every
 * sample. Chosen on the bundled model's 200-problem dev set as the rule with the fewest tokens
 * among those within 1 point of sc@16's accuracy at ≤ 45% of its tokens: 66.4% vs 67.3% with
 * 35.5% of the tokens (docs/eval/asc-rule-dev.md).
 */
export const ASC_DEFAULT_RULE: Readonly<AscStoppingRule> = {
  rule: 'beta',
  level: 0.7,
  batch: 3,
  growth: 'step',
  step: 1,
};

/** The level used when a caller names a rule but no level. */
export function ascDefaultLevel(rule: AscRuleName): number {
  if (rule === ASC_DEFAULT_RULE.rule) return ASC_DEFAULT_RULE.level;
  return rule === 'beta' ? 0.95 : 0.75;
}

/** Whether the vote over `answers` (null = no answer extracted) is decided under `rule` at `level`. */
export function voteDecided(answers: readonly (string | null)[], rule: AscRuleName, level: number): boolean {
  const counts = [...tallyVotes(answers).tally.values()].sort((a, b) => b - a);
  const v1 = counts[0] ?? 0;
  const v2 = counts[1] ?? 0;
  if (v1 === 0) return false;
  if (rule === 'share') return v1 / answers.length >= level;
  return betaStopProbability(v1, v2) >= level;
}

/** Size of the batch after one of `size` samples that brought the total to `drawn`. */
export function ascNextBatch(size: number, drawn: number, growth: AscGrowth, step: number): number {
  if (growth === 'double') return size * 2;
  if (growth === 'total') return drawn;
  return step;
}

/** Samples drawn in all after each batch, up to and ending at `samples`. */
export function ascCheckpoints(
  schedule: Pick<AscStoppingRule, 'batch' | 'growth' | 'step'>,
  samples: number,
): number[] {
  const out: number[] = [];
  let drawn = 0;
  let size = schedule.batch;
  while (drawn < samples) {
    drawn += Math.min(size, samples - drawn);
    out.push(drawn);
    size = ascNextBatch(size, drawn, schedule.growth, schedule.step);
  }
  return out;
}

/** How many of `answers` (in draw order) adaptive SC under `stopping` uses before it stops, at most `samples`. */
export function ascStopPoint(
  answers: readonly (string | null)[],
  samples: number,
  stopping: AscStoppingRule,
): number {
  for (const k of ascCheckpoints(stopping, samples)) {
    if (k >= samples || voteDecided(answers.slice(0, k), stopping.rule, stopping.level)) return k;
  }
  return samples;
}
