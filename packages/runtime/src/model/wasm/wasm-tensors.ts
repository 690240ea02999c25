// Which GGUF tensors the CPU backend places where: per layer, the matrices one matmul op reads
// (q, k and v rows stacked into one matrix when they share a type, and gate and up likewise, so
// that one op and one barrier serve all three or both), the f32 vectors (norms, biases), and the
// output head (output.weight, or token_embd.weight when the embedding is tied).
import { RuminateError } from '@ruminate/errors';
import type { GgufTensorInfo } from '../../gguf/types.ts';
import type { Hparams } from '../hparams.ts';

/** One weight matrix as a matmul reads it: rows of `cols` weights, from one or more stacked GGUF tensors. */
export interface LinearSpec {
  /** Region name in the memory plan. */
  name: string;
  /** GGUF type name shared by every source tensor (e.g. `q4_0`). */
  type: string;
  /** Output features (rows, stacked over the sources). */
  rows: number;
  /** Input features. */
  cols: number;
  /** The GGUF tensors whose rows are stacked, in order. */
  sources: readonly GgufTensorInfo[];
  /** Column of the output row its first result is written to (a slice of a wider output row). */
  outColumn: number;
}

/** A bias or norm weight, as f32. */
export interface VectorSpec {
  /** Region name in the memory plan. */
  name: string;
  /** Elements. */
  length: number;
  /** GGUF tensors concatenated into it (absent ones are zeros: a missing k bias next to a q bias). */
  sources: readonly (GgufTensorInfo | undefined)[];
  /** Elements each source fills, in order. */
  lengths: readonly number[];
}

/** The placement of one decoder layer. */
export interface LayerTensors {
  /** Pre-attention norm. */
  attnNorm: VectorSpec;
  /** q|k|v projection(s) into one row of nq + 2·nkv columns. */
  qkv: LinearSpec[];
  /** q|k|v bias, when the model has one (qwen2). */
  qkvBias: VectorSpec | undefined;
  /** Per-head q and k norms (qwen3). */
  qNorm: VectorSpec | undefined;
  /** Per-head k norm (qwen3). */
  kNorm: VectorSpec | undefined;
  /** Attention output projection. */
  attnOutput: LinearSpec;
  /** Pre-FFN norm. */
  ffnNorm: VectorSpec;
  /** gate|up projection(s) into one row of 2·ff columns. */
  gateUp: LinearSpec[];
  /** Down projection. */
  down: LinearSpec;
}

/** Every tensor the CPU backend reads, grouped as its ops read them. */
export interface ModelTensors {
  /** Decoder layers. */
  layers: LayerTensors[];
  /** Final norm. */
  outputNorm: VectorSpec;
  /** Output head (tied to the embedding when the file has no output.weight). */
  output: LinearSpec;
}

/** Groups the GGUF tensors of a dense model (llama, qwen2, qwen3) for the CPU backend. */
export function modelTensors(hp: Hparams, tensors: readonly GgufTensorInfo[]): ModelTensors {
  if (hp.nExperts > 0) {
    throw new RuminateError(
      'gguf-unsupported',
      `The WebAssembly backend does not run mixture-of-experts models yet (${hp.arch} with ${hp.nExperts} experts); ` +
        "load it with backend: 'webgpu'.",
    );
  }
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const need = (name: string): GgufTensorInfo => {
    const t = byName.get(name);
    if (!t)
      throw new RuminateError('gguf-invalid', `The model lacks tensor ${name}; the file is incomplete.`);
    return t;
  };
  const vector = (name: string, length: number): VectorSpec => {
    const t = need(name);
    if (t.elements !== length) {
      throw new RuminateError(
        'gguf-invalid',
        `Tensor ${name} has ${t.elements} elements, expected ${length}.`,
      );
    }
    return { name, length, sources: [t], lengths: [length] };
  };
  const optionalVector = (name: string, length: number) =>
    byName.has(name) ? vector(name, length) : undefined;
  const hd = hp.headDim;
  const nq = hp.nHeads * hd;
  const nkv = hp.nKvHeads * hd;
  const layers: LayerTensors[] = [];
  for (let l = 0; l < hp.nLayers; l++) {
    const p = `blk.${l}.`;
    const biasNames = ['attn_q', 'attn_k', 'attn_v'].map((n) => byName.get(`${p}${n}.bias`));
    layers.push({
      attnNorm: vector(`${p}attn_norm.weight`, hp.nEmbd),
      qkv: stacked(
        `${p}attn_qkv`,
        [need(`${p}attn_q.weight`), need(`${p}attn_k.weight`), need(`${p}attn_v.weight`)],
        hp.nEmbd,
        [nq, nkv, nkv],
      ),
      qkvBias: biasNames.some((b) => b !== undefined)
        ? { name: `${p}attn_qkv.bias`, length: nq + 2 * nkv, sources: biasNames, lengths: [nq, nkv, nkv] }
        : undefined,
      qNorm: optionalVector(`${p}attn_q_norm.weight`, hd),
      kNorm: optionalVector(`${p}attn_k_norm.weight`, hd),
      attnOutput: single(need(`${p}attn_output.weight`), nq, hp.nEmbd),
      ffnNorm: vector(`${p}ffn_norm.weight`, hp.nEmbd),
      gateUp: stacked(`${p}ffn_gate_up`, [need(`${p}ffn_gate.weight`), need(`${p}ffn_up.weight`)], hp.nEmbd, [
        hp.nFf,
        hp.nFf,
      ]),
      down: single(need(`${p}ffn_down.weight`), hp.nFf, hp.nEmbd),
    });
  }
  const head = byName.get('output.weight') ?? need('token_embd.weight');
  return {
    layers,
    outputNorm: vector('output_norm.weight', hp.nEmbd),
    output: single(head, hp.nEmbd, hp.nVocab),
  };
}

/** One GGUF matrix of `rows` × `cols` as a linear. */
function single(t: GgufTensorInfo, cols: number, rows: number): LinearSpec {
  checkMatrix(t, cols, rows);
  return { name: t.name, type: t.type.name, rows, cols, sources: [t], outColumn: 0 };
}

/** Matrices stacked by rows into one linear when they share a type, else one linear each. */
function stacked(name: string, ts: GgufTensorInfo[], cols: number, rows: number[]): LinearSpec[] {
  for (const [i, t] of ts.entries()) checkMatrix(t, cols, rows[i] as number);
  const type = ts[0]?.type.name;
  if (ts.every((t) => t.type.name === type)) {
    const total = rows.reduce((a, b) => a + b, 0);
    return [{ name, type: type as string, rows: total, cols, sources: ts, outColumn: 0 }];
  }
  let column = 0;
  return ts.map((t, i) => {
    const spec = { ...single(t, cols, rows[i] as number), outColumn: column };
    column += rows[i] as number;
    return spec;
  });
}

function checkMatrix(t: GgufTensorInfo, cols: number, rows: number): void {
  if (t.dims[0] !== cols || (t.dims[1] ?? 1) !== rows || t.dims.length > 2) {
    throw new RuminateError(
      'gguf-invalid',
      `Tensor ${t.name} has dims [${t.dims.join(', ')}], expected [${cols}, ${rows}].`,
    );
  }
}
