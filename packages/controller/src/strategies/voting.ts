// Majority and weighted voting over extracted answers (self-consistency, Wang et al. 2022).

import type { Branch } from '../generator/branch.ts';
import { extractAnswer } from '../verifiers/answer.ts';
import type { StrategyContext, StrategyOutcome } from './types.ts';

/** Result of a vote. */
export interface VoteResult {
  /** The winning answer, or null when no candidate had one. */
  answer: string | null;
  /** Answer → summed weight, in first-seen order. */
  tally: Map<string, number>;
  /** Each voter's answer (null when none could be extracted). */
  answers: (string | null)[];
}

/** Sums `weights` per answer; the largest sum wins, ties go to the answer seen first. */
export function tallyVotes(answers: readonly (string | null)[], weights?: readonly number[]): VoteResult {
  const tally = new Map<string, number>();
  answers.forEach((a, i) => {
    if (a === null) return;
    tally.set(a, (tally.get(a) ?? 0) + (weights ? (weights[i] ?? 0) : 1));
  });
  let answer: string | null = null;
  let best = Number.NEGATIVE_INFINITY;
  for (const [a, w] of tally) {
    if (w > best) {
      best = w;
      answer = a;
    }
  }
  return { answer, tally, answers: [...answers] };
}

/**
 * Extracts answers from `voters`, votes (weighted when `weights` is given), records answers and
 * votes in the trace and returns the outcome: candidates of the winning answer first (in order),
 * then the others by their answer's total.
 */
export function voteOutcome(
  ctx: StrategyContext,
  voters: readonly Branch[],
  weights?: readonly number[],
): StrategyOutcome {
  const answers = voters.map((b) => extractAnswer(b.text, ctx.answer));
  const result = tallyVotes(answers, weights);
  voters.forEach((b, i) => {
    const rec = ctx.gen.trace.get(b.id);
    rec.answer = answers[i] ?? null;
    const a = answers[i];
    rec.votes = a === null || a === undefined ? 0 : (result.tally.get(a) ?? 0);
  });
  const order = voters
    .map((b, i) => ({ b, i, w: answers[i] == null ? -1 : (result.tally.get(answers[i] as string) ?? 0) }))
    .sort((x, y) => y.w - x.w || x.i - y.i)
    .map((x) => x.b);
  const winner = order[0] ?? null;
  if (winner) ctx.gen.trace.event(winner.id, 'selected', `answer ${JSON.stringify(result.answer)}`);
  return { ranked: order, winner, answer: result.answer, stats: { distinctAnswers: result.tally.size } };
}
