import type { AnswerOptions } from '../verifiers/answer.ts';
import type { Verifier } from '../verifiers/types.ts';

/** One evaluation problem: the prompt the model continues and the reference answer. */
export interface EvalProblem {
  /** Stable id within its set. */
  id: number;
  /** Prompt text (continued after BOS). */
  prompt: string;
  /** Reference answer (used only to score, never by verifiers). */
  answer: string;
}

/** A task with a checkable answer: how to read answers, and how to check work without the reference. */
export interface EvalTask {
  /** Registry name (`--task`). */
  name: string;
  /** One line for help texts. */
  description: string;
  /** Generated tokens that comfortably hold one solution. */
  maxTokens: number;
  /** Delimiter between reasoning steps (for beam, DVTS and particle filtering). */
  stepDelimiter: string;
  /** How the controller extracts answers for voting (same answers as `extract`). */
  answer: AnswerOptions;
  /** The final answer in a solution, normalised, or null. */
  extract(text: string): string | null;
  /** Outcome verifier: checks the written work itself (never sees the reference answer). */
  verifier(): Verifier;
  /** Step scorer for searches: scores a partial solution by its completed steps. */
  stepScorer(): Verifier;
}
