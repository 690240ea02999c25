// Scorers that need no extra model: the candidate's mean token log-probability, and its
// self-certainty (Kang et al. 2025, "Scalable Best-of-N Selection via Self-Certainty"): the mean
// over tokens of KL(uniform ‖ p) = −(1/V) Σ_j log(V·p_j), which the engine computes on the GPU.

import type { Verifier } from './types.ts';

/** Mean log-probability of the candidate's tokens (a `log`-scale score; passes when any token exists). */
export function meanLogprob(): Verifier {
  return {
    name: 'mean-logprob',
    scale: 'log',
    verify(input) {
      if (input.logprobs.length === 0)
        return { passed: false, score: Number.NEGATIVE_INFINITY, reason: 'no tokens' };
      const mean = input.logprobs.reduce((a, b) => a + b, 0) / input.logprobs.length;
      return { passed: true, score: mean };
    },
  };
}

/** Mean self-certainty of the candidate's tokens (unbounded, higher is more certain). */
export function selfCertainty(): Verifier {
  return {
    name: 'self-certainty',
    scale: 'unbounded',
    wants: { selfCertainty: true },
    verify(input) {
      if (input.selfCertainty.length === 0) {
        return {
          passed: false,
          score: Number.NEGATIVE_INFINITY,
          reason: 'no self-certainty values (engine did not report them)',
        };
      }
      const mean = input.selfCertainty.reduce((a, b) => a + b, 0) / input.selfCertainty.length;
      return { passed: true, score: mean };
    },
  };
}
