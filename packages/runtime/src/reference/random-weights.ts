// Random weights for any supported architecture, as dequantized tensors keyed by GGUF name,
// for engine tests and fixtures. The output matrix is scaled so that logits are peaked
// (greedy choices are then stable under small numerical differences).
import type { Hparams } from '../model/hparams.ts';
import type { ReferenceTensor } from './forward.ts';

/** A tensor of random values uniform in [-scale, scale). */
function uniform(dims: number[], rand: () => number, scale: number): ReferenceTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (rand() * 2 - 1) * scale;
  return { dims, data };
}

/** Norm weights near 1. */
function norm(dims: number[], rand: () => number): ReferenceTensor {
  const t = uniform(dims, rand, 0.2);
  for (let i = 0; i < t.data.length; i++) t.data[i] = 1 + (t.data[i] as number);
  return t;
}

/** Options for `randomWeights`. */
export interface RandomWeightsOptions {
  /** Scale of the output matrix relative to 1/sqrt(nEmbd) (larger: more peaked logits; default 8). */
  outputScale?: number;
  /** Leave out `output.weight` (tied embeddings). */
  tied?: boolean;
  /** Add q/k/v biases (qwen2 style). */
  biases?: boolean;
}

/** Every tensor the architecture needs, with random values, keyed by GGUF name (ggml dims). */
export function randomWeights(
  hp: Hparams,
  rand: () => number,
  opts: RandomWeightsOptions = {},
): Map<string, ReferenceTensor> {
  const w = new Map<string, ReferenceTensor>();
  const e = hp.nEmbd;
  const hd = hp.headDim;
  const lin = (inp: number, out: number, extra: number[] = []) =>
    uniform([inp, out, ...extra], rand, 1 / Math.sqrt(inp));
  w.set('token_embd.weight', uniform([e, hp.nVocab], rand, 1));
  for (let l = 0; l < hp.nLayers; l++) {
    const p = `blk.${l}.`;
    w.set(`${p}attn_norm.weight`, norm([e], rand));
    w.set(`${p}attn_q.weight`, lin(e, hp.nHeads * hd));
    w.set(`${p}attn_k.weight`, lin(e, hp.nKvHeads * hd));
    w.set(`${p}attn_v.weight`, lin(e, hp.nKvHeads * hd));
    if (opts.biases) {
      w.set(`${p}attn_q.bias`, uniform([hp.nHeads * hd], rand, 0.5));
      w.set(`${p}attn_k.bias`, uniform([hp.nKvHeads * hd], rand, 0.5));
      w.set(`${p}attn_v.bias`, uniform([hp.nKvHeads * hd], rand, 0.5));
    }
    if (hp.arch === 'qwen3') {
      w.set(`${p}attn_q_norm.weight`, norm([hd], rand));
      w.set(`${p}attn_k_norm.weight`, norm([hd], rand));
    }
    w.set(`${p}attn_output.weight`, lin(hp.nHeads * hd, e));
    w.set(`${p}ffn_norm.weight`, norm([e], rand));
    if (hp.nExperts > 0) {
      w.set(`${p}ffn_gate_inp.weight`, lin(e, hp.nExperts));
      w.set(`${p}ffn_gate_exps.weight`, lin(e, hp.nFf, [hp.nExperts]));
      w.set(`${p}ffn_up_exps.weight`, lin(e, hp.nFf, [hp.nExperts]));
      w.set(`${p}ffn_down_exps.weight`, lin(hp.nFf, e, [hp.nExperts]));
      if (hp.nFfShared > 0) {
        w.set(`${p}ffn_gate_inp_shexp.weight`, lin(e, 1));
        w.set(`${p}ffn_gate_shexp.weight`, lin(e, hp.nFfShared));
        w.set(`${p}ffn_up_shexp.weight`, lin(e, hp.nFfShared));
        w.set(`${p}ffn_down_shexp.weight`, lin(hp.nFfShared, e));
      }
    } else {
      w.set(`${p}ffn_gate.weight`, lin(e, hp.nFf));
      w.set(`${p}ffn_up.weight`, lin(e, hp.nFf));
      w.set(`${p}ffn_down.weight`, lin(hp.nFf, e));
    }
  }
  w.set('output_norm.weight', norm([e], rand));
  if (!opts.tied) {
    const out = uniform([e, hp.nVocab], rand, (opts.outputScale ?? 8) / Math.sqrt(e));
    w.set('output.weight', out);
  }
  return w;
}

/** Hyper-parameters for a small test model of `arch` (override any field). */
export function smallHparams(overrides: Partial<Hparams> = {}): Hparams {
  const arch = overrides.arch ?? 'llama';
  const base: Hparams = {
    arch,
    nLayers: 2,
    nEmbd: 64,
    nHeads: 4,
    nKvHeads: 2,
    headDim: 16,
    nFf: 96,
    nVocab: 97,
    rmsEps: 1e-5,
    ropeBase: 10000,
    ropeDims: 16,
    ropeStyle: arch === 'llama' ? 'norm' : 'neox',
    ropeScale: 1,
    ropeFreqFactors: false,
    ropeLongShortFactors: false,
    ropeOrigContext: 256,
    ropeAttnFactor: 1,
    ropeBaseSwa: 10000,
    ropeScaleSwa: 1,
    slidingWindow: 0,
    swaLayers: Array.from({ length: overrides.nLayers ?? 2 }, () => false),
    attnScale: Math.fround(1 / Math.sqrt(overrides.headDim ?? 16)),
    attnSoftcap: 0,
    finalSoftcap: 0,
    embedScale: 1,
    ffnAct: 'silu',
    postNorms: false,
    contextLength: 256,
    nExperts: 0,
    nExpertsUsed: 0,
    normalizeExpertWeights: arch === 'llama',
    nFfShared: 0,
  };
  return { ...base, ...overrides };
}
