// The refusal of a `general.architecture` Ruminate does not run, saying what is missing for the
// architectures users most often bring (their computation as llama.cpp implements it in
// src/models/<arch>.cpp).
import { RuminateError } from '@ruminate/errors';

/** What Ruminate lacks to run these architectures, by `general.architecture`. */
const MISSING: Readonly<Record<string, string>> = {
  gemma: 'embedding scaling by √n_embd and GeGLU feed-forward',
  gemma2:
    'embedding scaling, post-attention and post-feed-forward norms, GeGLU, attention and final logit ' +
    'soft-capping and interleaved sliding-window attention',
  gemma3:
    'embedding scaling, post-norms, q/k norms, GeGLU and interleaved sliding-window and global ' +
    'attention layers with their own RoPE bases',
  phi3: 'fused QKV and gate-up tensors, LongRoPE frequency factors and sliding-window attention',
  qwen3moe: 'the qwen3 attention (q/k norms) with mixture-of-experts feed-forward layers',
  mistral3: "Mistral 3's attention temperature scaling and YaRN RoPE",
  llama4: 'chunked attention, interleaved no-RoPE layers and shared-expert MoE',
};

/** Throws `gguf-unsupported` for an architecture outside `supported`, naming what is missing. */
export function refuseUnimplementedArchitecture(arch: unknown, supported: readonly string[]): never {
  const runs = `Ruminate runs ${supported.join(', ')} (mixtral files are llama with experts).`;
  if (typeof arch !== 'string') {
    throw new RuminateError(
      'gguf-invalid',
      `The model's metadata lacks general.architecture (a string); llama.cpp refuses it too. ${runs}`,
    );
  }
  const missing = MISSING[arch];
  throw new RuminateError(
    'gguf-unsupported',
    missing
      ? `Architecture "${arch}" is not supported yet: Ruminate lacks its ${missing}. ${runs}`
      : `Architecture "${arch}" is not supported. ${runs}`,
  );
}
