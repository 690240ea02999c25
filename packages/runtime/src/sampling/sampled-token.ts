// A sampler row's result as the engine's SampledToken, keeping only the statistics asked for.
import type { SamplerRowResult } from '@ruminate/gpu';
import type { StepWants } from '../engine/types.ts';
import type { SampledToken } from '../model/backend.ts';

/** The engine's view of one sampled row: token, log-probability, and the wanted extras. */
export function toSampledToken(r: SamplerRowResult, want: StepWants | undefined): SampledToken {
  const out: SampledToken = { token: r.token, logprob: r.logprob };
  // A token a constraint masked out (−∞) is never listed.
  if (want?.topLogprobs)
    out.topLogprobs = r.top.filter((e) => e.logprob > Number.NEGATIVE_INFINITY).slice(0, want.topLogprobs);
  if (want?.entropy) out.entropy = r.entropy;
  if (want?.selfCertainty) out.selfCertainty = r.selfCertainty;
  return out;
}
