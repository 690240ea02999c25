// The rotary-embedding parameters shared by the RoPE op and the KV write's fused k rotation.
import { kernelSources } from '../../kernels/sources.generated.ts';
import type { BufferArg } from '../shared/dispatch.ts';
import { check } from '../shared/dispatch.ts';

/**
 * How a model rotates q and k (llama.cpp's rope with ext_factor 0):
 * theta_i = pos · base^(-2i/nRot) / scale / freqFactors[i] for pair i < nRot/2.
 */
export interface RopeParams {
  /** NeoX pairing (i, i + nRot/2) — qwen2/qwen3, gpt-neox; false: llama's (2i, 2i+1). */
  neox: boolean;
  /** Frequency base (GGUF `*.rope.freq_base`, 10000 when absent). */
  base: number;
  /** Linear scaling factor (GGUF `*.rope.scaling.factor` with type `linear`; default 1). */
  scale?: number;
  /** Rotated dims per head (GGUF `*.rope.dimension_count`; default headDim), even. */
  nRot?: number;
  /** `[nRot/2]` f32 frequency divisors (GGUF `rope_freqs.weight`), when the model has them. */
  freqFactors?: BufferArg;
  /** ggml's attn_factor: cos and sin are multiplied by it (GGUF `*.rope.scaling.attn_factor`; default 1). */
  magnitude?: number;
}

/** Resolved rope numbers for a uniform block: [nRot, neox] and [log2(base), 1/scale, magnitude]. */
export function ropeUniforms(rope: RopeParams, headDim: number): { u32: number[]; f32: number[] } {
  const nRot = rope.nRot ?? headDim;
  check(
    nRot > 0 && nRot % 2 === 0 && nRot <= headDim,
    'rope.nRot',
    `nRot must be even and ≤ headDim ${headDim} (got ${nRot}).`,
  );
  check(rope.base > 1, 'rope.base', `rope base must be > 1 (got ${rope.base}).`);
  const scale = rope.scale ?? 1;
  check(scale > 0, 'rope.scale', `rope scale must be > 0 (got ${scale}).`);
  const magnitude = rope.magnitude ?? 1;
  check(magnitude > 0, 'rope.magnitude', `rope magnitude must be > 0 (got ${magnitude}).`);
  return { u32: [nRot, rope.neox ? 1 : 0], f32: [Math.log2(rope.base), 1 / scale, magnitude] };
}

/** `kernel`'s WGSL with the rope-angle snippet prepended (WGSL has no #include). */
export function withRopeSnippet(kernel: string): string {
  return `${kernelSources['rope/rope-angle.wgsl'] ?? ''}\n${kernelSources[kernel] ?? ''}`;
}
