// The engine's per-row sampling request as the sampler's row parameters, shared by the GPU
// model and the CPU backend so both samplers see the same rule.
import { countTokens, type SamplerRowParams } from '@ruminate/gpu';
import type { RowSampling } from '../model/backend.ts';

/** The sampler parameters of one engine sampling request (absent options stay absent). */
export function samplerRowParams(s: RowSampling): SamplerRowParams {
  const p = s.params;
  return {
    temperature: p.temperature,
    ...(p.topK !== undefined ? { topK: p.topK } : {}),
    ...(p.topP !== undefined ? { topP: p.topP } : {}),
    ...(p.minP !== undefined ? { minP: p.minP } : {}),
    ...(p.repetitionPenalty !== undefined ? { repetitionPenalty: p.repetitionPenalty } : {}),
    ...(p.frequencyPenalty !== undefined ? { frequencyPenalty: p.frequencyPenalty } : {}),
    ...(p.presencePenalty !== undefined ? { presencePenalty: p.presencePenalty } : {}),
    ...(p.seed !== undefined ? { seed: p.seed } : {}),
    sequence: s.stream,
    position: s.position,
    ...(s.history ? { tokenCounts: countTokens(s.history) } : {}),
    ...(p.bannedTokens ? { bannedTokens: p.bannedTokens } : {}),
    ...(s.forceToken !== undefined ? { forceToken: s.forceToken } : {}),
  };
}
