// The bundled model's task (tools/trainer): multiplication with worked steps, e.g.
// `68*24=` → `A:68*20=1360,68*4=272,1360+272=1632#1632`. Its verifier re-checks every
// partial product and running sum and the structure of the method; it never sees the answer.
import type { Verifier, Verdict as VerifierVerdict } from '../verifiers/types.ts';
import { extractAnswer, verify } from './mul-work.ts';
import type { EvalTask } from './types.ts';

const STEP = /^(\d+)([*+])(\d+)=(\d+)$/;

/** Probability-scale score of a partial solution: 0.95 while every completed step is right, else 0.05. */
export function scorePartialMul(text: string): number {
  const body = text.replace(/^[AB]:/, '').split('#')[0] ?? '';
  const done = text.includes('#') ? body.split(',') : body.split(',').slice(0, -1);
  for (const s of done) {
    const m = STEP.exec(s.trim());
    if (!m) return 0.05;
    const [x, y, z] = [BigInt(m[1] as string), BigInt(m[3] as string), BigInt(m[4] as string)];
    if ((m[2] === '*' ? x * y : x + y) !== z) return 0.05;
  }
  return 0.95;
}

/** The `mul` task. */
export const mulTask: EvalTask = {
  name: 'mul',
  description: 'two-digit multiplication with worked partial products (the bundled model’s task)',
  maxTokens: 64,
  stepDelimiter: ',',
  answer: { mode: 'regex', pattern: '#(\\d+)\\s*$' },
  extract: extractAnswer,
  verifier(): Verifier {
    return {
      name: 'mul-check-work',
      scale: 'probability',
      verify(input): VerifierVerdict {
        const v = verify(input.prompt, input.text);
        return { passed: v.ok, score: v.ok ? 1 : 0, reason: v.reason };
      },
    };
  },
  stepScorer(): Verifier {
    return {
      name: 'mul-check-steps',
      scale: 'probability',
      verify(input): VerifierVerdict {
        const score = scorePartialMul(input.text);
        return { passed: score > 0.5, score };
      },
    };
  },
};
