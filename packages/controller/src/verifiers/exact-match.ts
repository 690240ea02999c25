// Exact match: the candidate's extracted, normalised answer equals the expected one.

import { type AnswerOptions, extractAnswer, normalizeAnswer } from './answer.ts';
import type { Verifier } from './types.ts';

/** A verifier passing candidates whose answer equals `expected` (after extraction and normalisation). */
export function exactMatch(expected: string | readonly string[], opts: AnswerOptions = {}): Verifier {
  const wanted = new Set((typeof expected === 'string' ? [expected] : expected).map(normalizeAnswer));
  return {
    name: 'exact-match',
    scale: 'probability',
    verify(input) {
      const answer = extractAnswer(input.text, opts);
      const passed = answer !== null && wanted.has(answer);
      return {
        passed,
        score: passed ? 1 : 0,
        reason: `answer ${answer === null ? 'missing' : JSON.stringify(answer)}`,
      };
    },
  };
}
