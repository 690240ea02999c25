// The hyper-parameters that set Gemma 2, Gemma 3 and Phi-3 apart from the llama family, read as
// llama.cpp's `load_arch_hparams` reads them (src/models/{gemma2,gemma3,phi3}.cpp): sliding-window
// layers and their RoPE, the attention scale, soft-capping, the embedding scale, GeGLU and the
// post-norms. Every other architecture gets the llama values (no window, 1/√headDim, no caps).
import { RuminateError } from '@ruminate/errors';
import type { Architecture, Hparams } from './hparams.ts';
import { type Metadata, readF32, readU32 } from './metadata-keys.ts';

/** The fields of Hparams this module fills. */
export type FamilyHparams = Pick<
  Hparams,
  | 'slidingWindow'
  | 'swaLayers'
  | 'ropeBaseSwa'
  | 'ropeScaleSwa'
  | 'attnScale'
  | 'attnSoftcap'
  | 'finalSoftcap'
  | 'embedScale'
  | 'ffnAct'
  | 'postNorms'
>;

/** What the family keys are derived from. */
export interface FamilyBase {
  nEmbd: number;
  nHeads: number;
  headDim: number;
  ropeBase: number;
  ropeScale: number;
}

/** Rounds to f32, as llama.cpp stores every float hyper-parameter. */
const f32 = Math.fround;

/** llama.cpp `set_swa_pattern(n_pattern)`: layer l slides unless it is the last of its period (0: every layer). */
function swaPattern(nLayers: number, period: number): boolean[] {
  return Array.from({ length: nLayers }, (_, l) => period === 0 || l % period < period - 1);
}

/** Reads the Gemma / Phi-3 keys of `arch` (defaults for every other architecture). */
export function readFamilyHparams(
  meta: Metadata,
  arch: Architecture,
  nLayers: number,
  base: FamilyBase,
): FamilyHparams {
  const key = (k: string) => `${arch}.${k}`;
  const out: FamilyHparams = {
    slidingWindow: 0,
    swaLayers: Array.from({ length: nLayers }, () => false),
    ropeBaseSwa: 10000,
    ropeScaleSwa: 1,
    attnScale: f32(1 / Math.sqrt(base.headDim)),
    attnSoftcap: 0,
    finalSoftcap: 0,
    embedScale: 1,
    ffnAct: 'silu',
    postNorms: false,
  };
  if (arch === 'phi3') {
    // llama.cpp reads phi3.attention.sliding_window and then turns Phi's sliding window off
    // ("Phi SWA is currently disabled", llama.cpp PR 13676): every layer attends to the whole context.
    readU32(meta, key('attention.sliding_window'));
    return out;
  }
  if (arch !== 'gemma2' && arch !== 'gemma3') return out;
  const pattern = (fallback: number) => {
    const p = readU32(meta, key('attention.sliding_window_pattern')) ?? fallback;
    return swaPattern(nLayers, p);
  };
  // gemma_pytorch's query_pre_attn_scalar as llama.cpp derives it: the 27B models (46 gemma2
  // layers, 62 gemma3 layers) scale by 1/√(n_embd / n_head), the others by 1/√head_dim.
  const is27b = nLayers === (arch === 'gemma2' ? 46 : 62);
  const attnScale = f32(1 / Math.sqrt(is27b ? Math.floor(base.nEmbd / base.nHeads) : base.headDim));
  const common = {
    attnScale,
    embedScale: f32(Math.sqrt(base.nEmbd)),
    ffnAct: 'gelu' as const,
    postNorms: true,
  };
  /** A soft-cap key: llama.cpp divides by it, so 0 (where the cap is always applied), a negative or a NaN is damage. */
  const softcap = (k: string, fallback: number, always: boolean) => {
    const v = readF32(meta, key(k)) ?? fallback;
    if (!(Number.isFinite(v) && (always ? v > 0 : v >= 0))) {
      throw new RuminateError(
        'gguf-invalid',
        `Metadata key ${key(k)} = ${v} is not a soft-cap (a positive number); the file is damaged.`,
      );
    }
    return v;
  };
  if (arch === 'gemma2') {
    const window = readU32(meta, key('attention.sliding_window')) ?? 4096;
    return {
      ...out,
      ...common,
      slidingWindow: window,
      swaLayers: pattern(2),
      ropeBaseSwa: readF32(meta, key('rope.freq_base_swa')) ?? base.ropeBase,
      ropeScaleSwa: base.ropeScale,
      attnSoftcap: softcap('attn_logit_softcapping', 50, true),
      finalSoftcap: softcap('final_logit_softcapping', 30, true),
    };
  }
  // gemma3: sliding layers only when the window key is present and non-zero.
  const window = readU32(meta, key('attention.sliding_window')) ?? 0;
  const finalSoftcap = softcap('final_logit_softcapping', 0, false);
  if (window === 0) return { ...out, ...common, finalSoftcap };
  const ropeBaseSwa = readF32(meta, key('rope.freq_base_swa')) ?? 10000;
  return { ...out, ...common, finalSoftcap, slidingWindow: window, swaLayers: pattern(6), ropeBaseSwa };
}
