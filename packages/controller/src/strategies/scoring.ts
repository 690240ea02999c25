// Scoring branches with a verifier or step scorer, recording each verdict in the trace.

import type { Branch } from '../generator/branch.ts';
import {
  runVerifier,
  type ScoreScale,
  type Verdict,
  type Verifier,
  type VerifyInput,
  verdictWeight,
} from '../verifiers/types.ts';
import type { StrategyContext } from './types.ts';

/** What a verifier sees of a branch; `steps` may be cut to the first `stepCount` steps. */
export function verifyInput(ctx: StrategyContext, b: Branch, stepCount?: number): VerifyInput {
  const steps =
    stepCount === undefined ? [...b.steps, ...(b.openStep ? [b.openStep] : [])] : b.steps.slice(0, stepCount);
  return {
    prompt: ctx.prompt,
    text: stepCount === undefined ? b.text : steps.join(''),
    steps,
    tokens: b.tokens,
    logprobs: b.logprobs,
    selfCertainty: b.selfCertainty,
    finished: stepCount === undefined ? b.finished : stepCount >= b.steps.length && b.finished,
  };
}

/** Scores whole candidates with `verifier`; sets each trace record's score and passed flag. */
export async function scoreOutcomes(
  ctx: StrategyContext,
  branches: readonly Branch[],
  verifier: Verifier = ctx.verifier,
): Promise<Verdict[]> {
  const verdicts = await runVerifier(
    verifier,
    branches.map((b) => verifyInput(ctx, b)),
    { timeoutMs: ctx.verifierTimeoutMs, signal: ctx.signal },
  );
  branches.forEach((b, i) => {
    const v = verdicts[i] as Verdict;
    const rec = ctx.gen.trace.get(b.id);
    rec.score = Number.isFinite(v.score) ? v.score : null;
    rec.passed = v.passed;
    ctx.gen.trace.event(
      b.id,
      'scored',
      `${verifier.name}=${formatScore(v.score)}${v.reason ? ` (${v.reason})` : ''}`,
    );
  });
  return verdicts;
}

/** Scores the current prefixes with the step scorer; appends to each record's step scores. */
export async function scoreSteps(ctx: StrategyContext, branches: readonly Branch[]): Promise<Verdict[]> {
  const verdicts = await runVerifier(
    ctx.stepScorer,
    branches.map((b) => verifyInput(ctx, b)),
    { timeoutMs: ctx.verifierTimeoutMs, signal: ctx.signal },
  );
  branches.forEach((b, i) => {
    const v = verdicts[i] as Verdict;
    const rec = ctx.gen.trace.get(b.id);
    b.stepScores.push(Number.isFinite(v.score) ? v.score : Number.NEGATIVE_INFINITY);
    rec.stepScores = b.stepScores;
    rec.score = Number.isFinite(v.score) ? v.score : null;
    ctx.gen.trace.event(
      b.id,
      'scored',
      `${ctx.stepScorer.name}=${formatScore(v.score)}${v.reason ? ` (${v.reason})` : ''}`,
    );
  });
  return verdicts;
}

/** A score for the trace's detail strings. */
export function formatScore(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 1e4) / 1e4) : String(x);
}

/** Indices of `scores` sorted best first (ties keep the earlier index). */
export function rankIndices(scores: readonly number[]): number[] {
  return scores.map((_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}

/** How a path's step scores combine into one (search-and-learn's agg_strategy). */
export type StepAggregate = 'last' | 'min' | 'prod';

/** Combines step scores: the last, the minimum, or the product of their probability weights (as a log). */
export function aggregateStepScores(
  scores: readonly number[],
  agg: StepAggregate,
  scale: ScoreScale,
): number {
  if (scores.length === 0) return Number.NEGATIVE_INFINITY;
  if (agg === 'last') return scores[scores.length - 1] as number;
  if (agg === 'min') return Math.min(...scores);
  return scores.reduce((a, s) => a + Math.log(verdictWeight(scale, { passed: true, score: s })), 0);
}
