// Float64 CPU forward pass of the supported architectures, written for clarity, not speed:
// the oracle GPU model tests compare against. Graph semantics follow llama.cpp's builders
// (src/models/{llama,qwen2,qwen3,qwen2moe,phi3,gemma2,gemma3}.cpp; MoE as in build_moe_ffn):
// pre-norm decoder, RMSNorm, RoPE, causal grouped-query attention, SwiGLU feed-forward or top-k
// experts, final RMSNorm and the output (or tied embedding) matrix. Gemma 2/3 add the embedding
// scale √n_embd, norms after attention and feed-forward, GeGLU, Gemma's query scale, attention
// and final logit soft-caps and sliding-window layers with their own RoPE base; Phi-3 adds fused
// q|k|v and gate|up projections, partial RoPE and LongRoPE factors with their magnitude factor.
import { RuminateError } from '@ruminate/errors';
import { roundActivationsQ8, roundToF16 } from '@ruminate/gpu';
import { type Hparams, layerRope, ropeFactorsTensor } from '../model/hparams.ts';
import { queryWidth } from '../model/tensor-names.ts';

/** A dequantized tensor: ggml dims (dims[0] is the row length) and values, row-major. */
export interface ReferenceTensor {
  /** Dimensions, innermost first. */
  dims: readonly number[];
  /** Values (already dequantized). */
  data: Float64Array | Float32Array;
  /** Activations multiplied with this matrix are first rounded to 8 bits per block of 32 (`roundActivationsQ8`), as llama.cpp's CPU path and CPU adapters do for q4_0. */
  roundsInput?: boolean;
}

/** Finds a dequantized tensor by GGUF name. */
export type ReferenceTensorLookup = (name: string) => ReferenceTensor | undefined;

type Vec = Float64Array;

/** y = W·x (+ b) for W with rows of length x.length, starting at element `offset`. */
function matvec(w: ReferenceTensor, input: Vec, rows: number, offset = 0, bias?: ReferenceTensor): Vec {
  const x = w.roundsInput ? roundActivationsQ8(Float32Array.from(input)) : input;
  const n = x.length;
  const y = new Float64Array(rows);
  const d = w.data;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const base = offset + r * n;
    for (let i = 0; i < n; i++) s += (d[base + i] as number) * (x[i] as number);
    y[r] = s + (bias ? (bias.data[r] as number) : 0);
  }
  return y;
}

/** RMSNorm: x / sqrt(mean(x²) + eps) · w, over `len`-element groups starting at each multiple of len. */
function rmsNorm(x: Vec, w: ReferenceTensor, eps: number, len = x.length): Vec {
  const y = new Float64Array(x.length);
  for (let g = 0; g < x.length; g += len) {
    let ss = 0;
    for (let i = 0; i < len; i++) ss += (x[g + i] as number) ** 2;
    const inv = 1 / Math.sqrt(ss / len + eps);
    for (let i = 0; i < len; i++) y[g + i] = (x[g + i] as number) * inv * (w.data[i] as number);
  }
  return y;
}

/** The rotation of one layer: its base and linear scale, the frequency factors, the magnitude. */
interface LayerRotation {
  base: number;
  scale: number;
  factors: ReferenceTensor | undefined;
}

/**
 * Rotates the first ropeDims dimensions of each head of `x` (heads × headDim) in place for
 * position `pos`: ggml's rope with ext_factor 0, θᵢ = pos · base^(−2i/nRot) / scale / factorᵢ
 * (linear scaling; Llama 3.1+ `rope_freqs.weight` or Phi-3's LongRoPE factors), cos and sin
 * multiplied by attn_factor.
 */
function rope(x: Vec, heads: number, hp: Hparams, pos: number, r: LayerRotation): void {
  const half = hp.ropeDims / 2;
  const m = hp.ropeAttnFactor;
  for (let h = 0; h < heads; h++) {
    const base = h * hp.headDim;
    for (let i = 0; i < half; i++) {
      const factor = r.factors ? (r.factors.data[i] as number) : 1;
      const theta = (pos * r.base ** ((-2 * i) / hp.ropeDims)) / r.scale / factor;
      const c = m * Math.cos(theta);
      const s = m * Math.sin(theta);
      const [a, b] = hp.ropeStyle === 'norm' ? [base + 2 * i, base + 2 * i + 1] : [base + i, base + i + half];
      const x0 = x[a] as number;
      const x1 = x[b] as number;
      x[a] = x0 * c - x1 * s;
      x[b] = x0 * s + x1 * c;
    }
  }
}

const silu = (v: number) => v / (1 + Math.exp(-v));
/**
 * GELU, tanh approximation (Hendrycks & Gimpel 2016), as ggml's CPU backend computes it
 * (ggml-cpu/vec.h `ggml_vec_gelu_f32` with GGML_GELU_FP16): 0 below −10, identity above 10, and
 * between them a table indexed by x rounded to f16 that holds gelu(x) rounded to f16.
 */
const gelu = (v: number) => {
  if (v <= -10) return 0;
  if (v >= 10) return v;
  const x = roundToF16(v);
  return roundToF16(0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * x * (1 + 0.044715 * x * x))));
};
/** c·tanh(v/c): Gemma 2's soft-cap (c = 0: none). */
const softcap = (v: number, c: number) => (c > 0 ? c * Math.tanh(v / c) : v);

function softmaxInPlace(v: Vec): Vec {
  let m = Number.NEGATIVE_INFINITY;
  for (const x of v) m = Math.max(m, x);
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    v[i] = Math.exp((v[i] as number) - m);
    s += v[i] as number;
  }
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / s;
  return v;
}

/** Where the forward pass keeps keys and values: contiguous (ReferenceModel) or paged (CPU backend). */
export interface ReferenceKv {
  /** Stores the post-RoPE key and the value of `layer` at `position`. */
  write(layer: number, position: number, k: Float64Array, v: Float64Array): void;
  /** The key and value of `layer` at `position` (written earlier). */
  read(layer: number, position: number): { k: ArrayLike<number>; v: ArrayLike<number> };
}

/** Options of the reference forward pass. */
export interface ReferenceOptions {
  /** Tokens one sequence may hold: picks Phi-3's long or short RoPE factors (default the trained context). */
  contextLength?: number;
}

/** The float64 forward pass of one token at one position, over any KV store. */
export class ReferenceForward {
  /** Hyper-parameters. */
  readonly hp: Hparams;
  private readonly t: ReferenceTensorLookup;
  private readonly factorsName: string | undefined;

  constructor(hp: Hparams, lookup: ReferenceTensorLookup, opts: ReferenceOptions = {}) {
    this.hp = hp;
    this.t = lookup;
    this.factorsName = ropeFactorsTensor(hp, opts.contextLength ?? hp.contextLength);
  }

  /** Logits after `token` at `position`, attending to positions 0..position of `kv`. */
  forwardToken(token: number, pos: number, kv: ReferenceKv): Float64Array {
    return this.forwardOne(token, pos, kv);
  }

  private w(name: string): ReferenceTensor {
    const t = this.t(name);
    if (!t) throw new RuminateError('gguf-invalid', `The model lacks tensor ${name}.`);
    return t;
  }

  private forwardOne(token: number, pos: number, kv: ReferenceKv): Float64Array {
    const hp = this.hp;
    const emb = this.w('token_embd.weight');
    if (!(token >= 0 && token < hp.nVocab)) {
      throw new RuminateError(
        'invalid-argument',
        `Token id ${token} is outside the vocabulary (0..${hp.nVocab - 1}).`,
      );
    }
    let x = Float64Array.from(
      emb.data.subarray(token * hp.nEmbd, (token + 1) * hp.nEmbd),
      (v) => v * hp.embedScale,
    );
    /** Gemma's norm of a block's output before the residual add (identity elsewhere). */
    const post = (y: Vec, name: string) => (hp.postNorms ? rmsNorm(y, this.w(name), hp.rmsEps) : y);
    for (let l = 0; l < hp.nLayers; l++) {
      const p = `blk.${l}.`;
      const h = rmsNorm(x, this.w(`${p}attn_norm.weight`), hp.rmsEps);
      const attn = post(this.attention(l, h, pos, kv), `${p}post_attention_norm.weight`);
      x = x.map((v, i) => v + (attn[i] as number));
      const h2 = rmsNorm(x, this.w(`${p}ffn_norm.weight`), hp.rmsEps);
      const ffn = post(
        hp.nExperts > 0 ? this.moe(l, h2) : this.ffn(p, '', h2, hp.nFf),
        `${p}post_ffw_norm.weight`,
      );
      x = x.map((v, i) => v + (ffn[i] as number));
    }
    const out = rmsNorm(x, this.w('output_norm.weight'), hp.rmsEps);
    const head = (hp.arch !== 'gemma2' ? this.t('output.weight') : undefined) ?? this.w('token_embd.weight');
    return matvec(head, out, hp.nVocab).map((v) => softcap(v, hp.finalSoftcap));
  }

  /** q, k and v of one row: three projections, or slices of a fused attn_qkv. */
  private qkv(p: string, h: Vec): [Vec, Vec, Vec] {
    const hp = this.hp;
    const nq = queryWidth(hp);
    const nkv = hp.nKvHeads * hp.headDim;
    const fused = this.t(`${p}attn_qkv.weight`);
    if (fused) {
      const y = matvec(fused, h, nq + 2 * nkv, 0, this.t(`${p}attn_qkv.bias`));
      return [y.slice(0, nq), y.slice(nq, nq + nkv), y.slice(nq + nkv)];
    }
    return [
      matvec(this.w(`${p}attn_q.weight`), h, nq, 0, this.t(`${p}attn_q.bias`)),
      matvec(this.w(`${p}attn_k.weight`), h, nkv, 0, this.t(`${p}attn_k.bias`)),
      matvec(this.w(`${p}attn_v.weight`), h, nkv, 0, this.t(`${p}attn_v.bias`)),
    ];
  }

  private attention(l: number, h: Vec, pos: number, kv: ReferenceKv): Vec {
    const hp = this.hp;
    const p = `blk.${l}.`;
    const hd = hp.headDim;
    const [q, k, v] = this.qkv(p, h);
    const qn = this.t(`${p}attn_q_norm.weight`);
    const kn = this.t(`${p}attn_k_norm.weight`);
    const qr = qn ? rmsNorm(q, qn, hp.rmsEps, hd) : q;
    const kr = kn ? rmsNorm(k, kn, hp.rmsEps, hd) : k;
    const factors = this.factorsName ? this.w(this.factorsName) : undefined;
    const rotation = { ...layerRope(hp, l), factors };
    rope(qr, hp.nHeads, hp, pos, rotation);
    rope(kr, hp.nKvHeads, hp, pos, rotation);
    kv.write(l, pos, kr, v);
    const group = hp.nHeads / hp.nKvHeads;
    const o = new Float64Array(hp.nHeads * hd);
    // A sliding layer's query at pos sees pos − window + 1 … pos (llama.cpp is_masked_swa, standard).
    const first = hp.swaLayers[l] ? Math.max(0, pos - hp.slidingWindow + 1) : 0;
    for (let head = 0; head < hp.nHeads; head++) {
      const kvh = Math.floor(head / group);
      const scores = new Float64Array(pos + 1 - first);
      for (let t = first; t <= pos; t++) {
        let s = 0;
        const kt = kv.read(l, t).k;
        for (let i = 0; i < hd; i++) s += (qr[head * hd + i] as number) * (kt[kvh * hd + i] as number);
        scores[t - first] = softcap(s * hp.attnScale, hp.attnSoftcap);
      }
      softmaxInPlace(scores);
      for (let t = first; t <= pos; t++) {
        const vt = kv.read(l, t).v;
        const a = scores[t - first] as number;
        for (let i = 0; i < hd; i++)
          o[head * hd + i] = (o[head * hd + i] as number) + a * (vt[kvh * hd + i] as number);
      }
    }
    return matvec(this.w(`${p}attn_output.weight`), o, hp.nEmbd, 0, this.t(`${p}attn_output.bias`));
  }

  /**
   * Gated feed-forward down(act(gate·x) ⊙ up·x), act SiLU (SwiGLU) or GELU (GeGLU), with tensors
   * `<p>ffn_{gate,up,down}<suffix>`; Phi-3's ffn_up holds the gate rows, then the up rows.
   */
  private ffn(p: string, suffix: string, x: Vec, nFf: number, expert = -1): Vec {
    const hp = this.hp;
    const off = (w: number) => (expert < 0 ? 0 : expert * w);
    // Biases exist only on llama's dense feed-forward (optional there).
    const bias = (n: string) => (expert < 0 ? this.t(`${p}ffn_${n}${suffix}.bias`) : undefined);
    let gate: Vec;
    let up: Vec;
    if (hp.arch === 'phi3') {
      const both = matvec(this.w(`${p}ffn_up.weight`), x, 2 * nFf);
      [gate, up] = [both.slice(0, nFf), both.slice(nFf)];
    } else {
      gate = matvec(this.w(`${p}ffn_gate${suffix}.weight`), x, nFf, off(nFf * hp.nEmbd), bias('gate'));
      up = matvec(this.w(`${p}ffn_up${suffix}.weight`), x, nFf, off(nFf * hp.nEmbd), bias('up'));
    }
    const f = hp.ffnAct === 'gelu' ? gelu : silu;
    const act = gate.map((g, i) => f(g) * (up[i] as number));
    return matvec(this.w(`${p}ffn_down${suffix}.weight`), act, hp.nEmbd, off(nFf * hp.nEmbd), bias('down'));
  }

  /** Top-k mixture of experts (softmax router), plus qwen2moe's sigmoid-gated shared expert. */
  private moe(l: number, x: Vec): Vec {
    const hp = this.hp;
    const p = `blk.${l}.`;
    const probs = softmaxInPlace(matvec(this.w(`${p}ffn_gate_inp.weight`), x, hp.nExperts));
    const order = [...probs.keys()].sort((a, b) => (probs[b] as number) - (probs[a] as number) || a - b);
    const chosen = order.slice(0, hp.nExpertsUsed);
    let norm = 1;
    if (hp.normalizeExpertWeights) norm = chosen.reduce((s, e) => s + (probs[e] as number), 0);
    const out = new Float64Array(hp.nEmbd);
    for (const e of chosen) {
      const y = this.ffn(p, '_exps', x, hp.nFf, e);
      const wgt = (probs[e] as number) / norm;
      for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + wgt * (y[i] as number);
    }
    if (hp.nFfShared > 0) {
      const y = this.ffn(p, '_shexp', x, hp.nFfShared);
      const g = matvec(this.w(`${p}ffn_gate_inp_shexp.weight`), x, 1)[0] as number;
      const s = 1 / (1 + Math.exp(-g));
      for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + s * (y[i] as number);
    }
    return out;
  }
}

/** A float64 model with its own contiguous KV cache: feed tokens, get next-token logits after each. */
export class ReferenceModel {
  /** The forward pass. */
  readonly net: ReferenceForward;
  private readonly keys: Vec[][];
  private readonly values: Vec[][];
  private readonly kv: ReferenceKv;

  constructor(hp: Hparams, lookup: ReferenceTensorLookup, opts: ReferenceOptions = {}) {
    this.net = new ReferenceForward(hp, lookup, opts);
    this.keys = Array.from({ length: hp.nLayers }, () => []);
    this.values = Array.from({ length: hp.nLayers }, () => []);
    this.kv = {
      write: (l, p, k, v) => {
        (this.keys[l] as Vec[])[p] = k;
        (this.values[l] as Vec[])[p] = v;
      },
      read: (l, p) => ({ k: (this.keys[l] as Vec[])[p] as Vec, v: (this.values[l] as Vec[])[p] as Vec }),
    };
  }

  /** Tokens processed so far. */
  get length(): number {
    return this.keys[0]?.length ?? 0;
  }

  /** Forgets every position from `length` on. */
  truncate(length: number): void {
    for (const k of this.keys) k.length = Math.min(k.length, length);
    for (const v of this.values) v.length = Math.min(v.length, length);
  }

  /** Processes `tokens` after the cached ones; returns the logits after each of them. */
  eval(tokens: readonly number[]): Float64Array[] {
    return tokens.map((tok) => this.net.forwardToken(tok, this.length, this.kv));
  }

  /** Greedy continuation of `prompt` (after the cached tokens) for `n` tokens. */
  greedy(prompt: readonly number[], n: number): number[] {
    let logits = this.eval(prompt).at(-1);
    const out: number[] = [];
    for (let i = 0; i < n && logits; i++) {
      const tok = argmax(logits);
      out.push(tok);
      if (i + 1 < n) logits = this.eval([tok])[0];
    }
    return out;
  }
}

/** Index of the largest value (lowest index on ties). */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}

/** Natural-log softmax of logits, in float64. */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i] as number);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp((logits[i] as number) - m);
  const lse = m + Math.log(s);
  return Float64Array.from(logits, (v) => v - lse);
}
