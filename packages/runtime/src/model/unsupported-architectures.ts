// The refusal of a `general.architecture` Ruminate does not run, saying what is missing for the
// architectures users most often bring (their computation as llama.cpp implements it in
// src/models/<arch>.cpp).
import { RuminateError } from '@ruminate/errors';

/** What Ruminate lacks to run these architectures, by `general.architecture`. */
const MISSING: Readonly<Record<string, string>> = {
  gemma: "Gemma 1's graph (gemma2 and gemma3 files run)",
  gemma3n: "Gemma 3n's per-layer embeddings, AltUp and Laurel blocks",
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
