// The ONNX graph of a dense llama-family decoder (llama, qwen2, qwen3) with past key values in
// and out, under the input/output names transformers.js's decoder-only models feed and read
// (`input_ids`, `attention_mask`, `position_ids`, `past_key_values.{i}.key|value` in;
// `logits`, `present.{i}.key|value` out; KV as [batch, kv_heads, length, head_dim]). The math
// is llama.cpp's (src/models/llama.cpp, qwen2.cpp, qwen3.cpp), which the float64 reference in
// packages/runtime/src/reference/forward.ts restates.
import { RuminateError } from '@ruminate/errors';
import type { Hparams } from '@ruminate/runtime';
import { OnnxGraph } from './onnx-graph.ts';
import { q4BlocksForNBits } from './q4-blocks.ts';

/** A dequantized GGUF tensor: ggml dims (dims[0] is the row length) and values, plus its q4_0 bytes when it is q4_0. */
export interface GgufMatrix {
  dims: readonly number[];
  data: Float32Array;
  q4_0?: Uint8Array;
}

/** How matrices are stored: fp32 MatMul, or q4_0 matrices as MatMulNBits (4-bit, the GGUF's own values) and the rest fp32. */
export type GraphWeights = 'fp32' | 'q4';

/** Looks a tensor up by its GGUF name. */
export type GgufTensorLookup = (name: string) => GgufMatrix | undefined;

/** The additive mask value of a key a query may not see: finite, so a fully padded row stays finite. */
const MASKED = -1e9;

/** Opset of the graph (ReduceMean's axes are still an attribute in 17). */
export const LLAMA_GRAPH_OPSET = 17;

/** Throws unless the converter can express `hp` as this graph. */
export function checkConvertible(hp: Hparams): void {
  const refuse = (what: string) =>
    new RuminateError(
      'gguf-unsupported',
      `The GGUF → ONNX converter does not convert ${what}; it converts dense llama, qwen2 and qwen3 models.`,
    );
  if (hp.nExperts > 0) throw refuse(`mixture-of-experts models (${hp.arch}, ${hp.nExperts} experts)`);
  if (!['llama', 'qwen2', 'qwen3'].includes(hp.arch)) throw refuse(`architecture ${hp.arch}`);
}

/** Row-major [rows][cols] → [cols][rows]. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c] as number;
  }
  return out;
}

/**
 * Reorders each head's rows from adjacent RoPE pairs (x[2i], x[2i+1]) to halves (x[i], x[i+d/2]),
 * so one rotate-halves graph serves both pairings; q·k is unchanged since q and k move alike.
 */
function pairsToHalves(data: Float32Array, heads: number, headDim: number, rowLength: number): Float32Array {
  const out = new Float32Array(data.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < headDim; j++) {
      const from = h * headDim + (j < half ? 2 * j : 2 * (j - half) + 1);
      out.set(data.subarray(from * rowLength, (from + 1) * rowLength), (h * headDim + j) * rowLength);
    }
  }
  return out;
}

/** Builds the decoder graph of `hp` over the weights `t` returns. */
export function buildLlamaGraph(hp: Hparams, t: GgufTensorLookup, weights: GraphWeights = 'fp32'): OnnxGraph {
  checkConvertible(hp);
  const g = new OnnxGraph();
  const hd = hp.headDim;
  const half = hd / 2;
  const group = hp.nHeads / hp.nKvHeads;
  const need = (name: string): GgufMatrix => {
    const m = t(name);
    if (!m) throw new RuminateError('gguf-invalid', `The model lacks tensor ${name}.`);
    return m;
  };
  const halves = hp.ropeStyle === 'norm';

  /** Source row of output row r when q/k rows are reordered from RoPE pairs to halves. */
  const ropeRow = (r: number): number => {
    const j = r % hd;
    return r - j + (j < half ? 2 * j : 2 * (j - half) + 1);
  };
  /** x·Wᵀ for the GGUF matrix `name` (`out` rows of `in`), q/k rows reordered when `rope`. */
  const project = (x: string, name: string, rope = false, output?: string): string => {
    const m = need(name);
    const [cols, rows] = [m.dims[0] as number, m.dims[1] as number];
    if (weights === 'q4' && m.q4_0 && cols % 32 === 0) {
      const { packed, scales } = q4BlocksForNBits(m.q4_0, rows, cols, rope && halves ? ropeRow : undefined);
      const b = g.initializer(name, 'uint8', [rows, cols / 32, 16], packed);
      const sc = g.initializer(`${name}.scales`, 'float32', [scales.length], scales);
      const attrs = { K: { i: cols }, N: { i: rows }, bits: { i: 4 }, block_size: { i: 32 } };
      return g.node('MatMulNBits', [x, b, sc], attrs, output, 'com.microsoft');
    }
    const data = rope && halves ? pairsToHalves(m.data, rows / hd, hd, cols) : m.data;
    return g.node(
      'MatMul',
      [x, g.initializer(name, 'float32', [cols, rows], transpose(data, rows, cols))],
      {},
      output,
    );
  };
  const vector = (name: string, ropeHeads = 0): string | undefined => {
    const m = t(name);
    if (!m) return undefined;
    const data = ropeHeads && halves ? pairsToHalves(m.data, ropeHeads, hd, 1) : m.data;
    return g.initializer(name, 'float32', [data.length], data);
  };
  const normWeight = (name: string): string => {
    need(name);
    return vector(name) as string;
  };
  const linear = (x: string, name: string, bias?: string, ropeHeads = 0): string => {
    const y = project(x, name, ropeHeads > 0);
    return bias ? g.node('Add', [y, bias]) : y;
  };
  const rmsNorm = (x: string, weight: string): string => {
    const ms = g.node('ReduceMean', [g.node('Mul', [x, x])], { axes: { ints: [-1] }, keepdims: { i: 1 } });
    const rms = g.node('Sqrt', [g.node('Add', [ms, g.float(hp.rmsEps)])]);
    return g.node('Mul', [g.node('Div', [x, rms]), weight]);
  };

  const inputIds = g.input({ name: 'input_ids', type: 'int64', dims: ['batch_size', 'sequence_length'] });
  const mask = g.input({
    name: 'attention_mask',
    type: 'int64',
    dims: ['batch_size', 'total_sequence_length'],
  });
  const positions = g.input({ name: 'position_ids', type: 'int64', dims: ['batch_size', 'sequence_length'] });

  // Which keys each query sees: key j ≤ the query's place in the row (causal) and not padding.
  const one = g.ints([1], true);
  const total = g.node('Gather', [g.node('Shape', [mask]), one], { axis: { i: 0 } });
  const newLength = g.node('Gather', [g.node('Shape', [inputIds]), one], { axis: { i: 0 } });
  const keyPlace = g.node('Range', [g.ints([0], true), total, one]);
  const queryPlace = g.node('Range', [g.node('Sub', [total, newLength]), total, one]);
  const causal = g.node('LessOrEqual', [
    g.node('Unsqueeze', [keyPlace, g.ints([0])]),
    g.node('Unsqueeze', [queryPlace, g.ints([1])]),
  ]);
  const notPad = g.node('Unsqueeze', [g.node('Cast', [mask], { to: { i: 9 } }), g.ints([1, 2])]);
  let bias = g.node('Where', [g.node('And', [causal, notPad]), g.float(0), g.float(MASKED)]); // [B,1,S,L]
  // Grouped-query attention runs each KV head's `group` query heads as one [group·S] block of rows.
  if (group > 1) bias = g.node('Concat', Array(group).fill(bias), { axis: { i: 2 } });

  // RoPE angles per position: θᵢ = pos · base^(−2i/d) / scale / factorᵢ, tabled for the trained context.
  const factors = hp.ropeFreqFactors ? need('rope_freqs.weight').data : undefined;
  const cosTable = new Float32Array(hp.contextLength * half);
  const sinTable = new Float32Array(hp.contextLength * half);
  for (let p = 0; p < hp.contextLength; p++) {
    for (let i = 0; i < half; i++) {
      const theta = (p * hp.ropeBase ** ((-2 * i) / hp.ropeDims)) / hp.ropeScale / (factors?.[i] ?? 1);
      cosTable[p * half + i] = Math.cos(theta);
      sinTable[p * half + i] = Math.sin(theta);
    }
  }
  const angle = (table: Float32Array, hint: string) =>
    g.node('Unsqueeze', [
      g.node('Gather', [g.initializer(hint, 'float32', [hp.contextLength, half], table), positions], {
        axis: { i: 0 },
      }),
      g.ints([1]),
    ]); // [B,1,S,half]
  const cos = angle(cosTable, 'rope_cos');
  const sin = angle(sinTable, 'rope_sin');
  const splitHalves = g.ints([half, half]);
  const rope = (x: string): string => {
    const [a, b] = g.multi('Split', [x, splitHalves], 2, { axis: { i: -1 } }) as [string, string];
    const ra = g.node('Sub', [g.node('Mul', [a, cos]), g.node('Mul', [b, sin])]);
    const rb = g.node('Add', [g.node('Mul', [b, cos]), g.node('Mul', [a, sin])]);
    return g.node('Concat', [ra, rb], { axis: { i: -1 } });
  };
  /** [B,S,heads·hd] → [B,heads,S,hd], with an optional per-head RMSNorm (qwen3) before. */
  const heads = (x: string, n: number, norm?: string): string => {
    const split = g.node('Reshape', [x, g.ints([0, 0, n, hd])]);
    return g.node('Transpose', [norm ? rmsNorm(split, norm) : split], { perm: { ints: [0, 2, 1, 3] } });
  };

  let x = g.node(
    'Gather',
    [
      g.initializer('token_embd.weight', 'float32', [hp.nVocab, hp.nEmbd], need('token_embd.weight').data),
      inputIds,
    ],
    {
      axis: { i: 0 },
    },
  );
  const scale = g.float(1 / Math.sqrt(hd));
  for (let l = 0; l < hp.nLayers; l++) {
    const p = `blk.${l}.`;
    const h = rmsNorm(x, normWeight(`${p}attn_norm.weight`));
    const q = heads(
      linear(h, `${p}attn_q.weight`, vector(`${p}attn_q.bias`, hp.nHeads), hp.nHeads),
      hp.nHeads,
      vector(`${p}attn_q_norm.weight`),
    );
    const k = heads(
      linear(h, `${p}attn_k.weight`, vector(`${p}attn_k.bias`, hp.nKvHeads), hp.nKvHeads),
      hp.nKvHeads,
      vector(`${p}attn_k_norm.weight`),
    );
    const v = heads(linear(h, `${p}attn_v.weight`, vector(`${p}attn_v.bias`)), hp.nKvHeads);
    const kvDims = ['batch_size', hp.nKvHeads, 'past_sequence_length', hd];
    const presentDims = ['batch_size', hp.nKvHeads, 'total_sequence_length', hd];
    const pastK = g.input({ name: `past_key_values.${l}.key`, type: 'float32', dims: kvDims });
    const pastV = g.input({ name: `past_key_values.${l}.value`, type: 'float32', dims: kvDims });
    const keys = g.node('Concat', [pastK, rope(k)], { axis: { i: 2 } }, `present.${l}.key`);
    const values = g.node('Concat', [pastV, v], { axis: { i: 2 } }, `present.${l}.value`);
    g.output({ name: keys, type: 'float32', dims: presentDims });
    g.output({ name: values, type: 'float32', dims: presentDims });

    const queries = g.node('Reshape', [g.node('Mul', [rope(q), scale]), g.ints([0, hp.nKvHeads, -1, hd])]);
    const scores = g.node('Add', [
      g.node('MatMul', [queries, g.node('Transpose', [keys], { perm: { ints: [0, 1, 3, 2] } })]),
      bias,
    ]);
    const context = g.node('MatMul', [g.node('Softmax', [scores], { axis: { i: -1 } }), values]);
    const merged = g.node('Reshape', [
      g.node('Transpose', [g.node('Reshape', [context, g.ints([0, hp.nHeads, -1, hd])])], {
        perm: { ints: [0, 2, 1, 3] },
      }),
      g.ints([0, 0, hp.nHeads * hd]),
    ]);
    x = g.node('Add', [x, linear(merged, `${p}attn_output.weight`, vector(`${p}attn_output.bias`))]);

    const h2 = rmsNorm(x, normWeight(`${p}ffn_norm.weight`));
    const gate = linear(h2, `${p}ffn_gate.weight`, vector(`${p}ffn_gate.bias`));
    const up = linear(h2, `${p}ffn_up.weight`, vector(`${p}ffn_up.bias`));
    const act = g.node('Mul', [g.node('Mul', [gate, g.node('Sigmoid', [gate])]), up]);
    x = g.node('Add', [x, linear(act, `${p}ffn_down.weight`, vector(`${p}ffn_down.bias`))]);
  }
  const out = rmsNorm(x, normWeight('output_norm.weight'));
  // The output matrix, or the token embedding when they are tied (qwen2).
  project(out, t('output.weight') ? 'output.weight' : 'token_embd.weight', false, 'logits');
  g.output({ name: 'logits', type: 'float32', dims: ['batch_size', 'sequence_length', hp.nVocab] });
  return g;
}
