// Which GGUF tensors the CPU backend places where: per layer, the matrices one matmul op reads
// (q, k and v rows stacked into one matrix when they share a type, and gate and up likewise, so
// that one op and one barrier serve all three or both; a file's fused attn_qkv, and Phi-3's
// gate|up ffn_up, are such a matrix already), the f32 vectors (norms, biases), and the
// output head (output.weight, or token_embd.weight when the embedding is tied). A mixture-of-
// experts layer (mixtral: llama with experts; qwen2moe) has instead a router (ffn_gate_inp, with
// qwen2moe's shared-expert gate ffn_gate_inp_shexp stacked as one more row), each expert's
// gate|up and down as ordinary matrices sliced out of the 3-D `_exps` stacks, and qwen2moe's
// shared expert.
import { RuminateError } from '@ruminate/errors';
import type { GgufTensorInfo } from '../../gguf/types.ts';
import type { Hparams } from '../hparams.ts';
import { fusedQkvName } from '../tensor-names.ts';

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
  /** Norm of the attention output before the residual add (Gemma 2/3). */
  postAttnNorm: VectorSpec | undefined;
  /** Pre-FFN norm. */
  ffnNorm: VectorSpec;
  /** Norm of the feed-forward output before the residual add (Gemma 2/3). */
  postFfnNorm: VectorSpec | undefined;
  /** gate|up projection(s) into one row of 2·ff columns (empty in a MoE layer). */
  gateUp: LinearSpec[];
  /** Down projection (absent in a MoE layer). */
  down: LinearSpec | undefined;
  /** The experts of a MoE layer. */
  moe: MoeTensors | undefined;
}

/** One SwiGLU feed-forward: gate|up into rows of 2·ff, down back to nEmbd. */
export interface FfnTensors {
  /** gate|up projection(s). */
  gateUp: LinearSpec[];
  /** Down projection. */
  down: LinearSpec;
  /** Feed-forward width. */
  ff: number;
}

/** A mixture-of-experts layer (llama.cpp build_moe_ffn). */
export interface MoeTensors {
  /** Router logits, rows of `routerWidth`: nExperts, then (qwen2moe) the shared expert's gate logit. */
  router: LinearSpec[];
  /** Columns of a router row. */
  routerWidth: number;
  /** Per expert: its slices of the `_exps` stacks. */
  experts: FfnTensors[];
  /** qwen2moe's shared expert, added with weight sigmoid(router column nExperts). */
  shared: FfnTensors | undefined;
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

/** Every linear of a model, with whether its matmul adds into its output and reads a bias. */
export function modelLinears(
  tensors: ModelTensors,
): { spec: LinearSpec; accumulate: boolean; bias: boolean }[] {
  const out = [{ spec: tensors.output, accumulate: false, bias: false }];
  const plain = (specs: readonly LinearSpec[]) => {
    for (const spec of specs) out.push({ spec, accumulate: false, bias: false });
  };
  for (const l of tensors.layers) {
    for (const spec of l.qkv) out.push({ spec, accumulate: false, bias: l.qkvBias !== undefined });
    // Outputs add into the residual stream, except where Gemma norms them first.
    out.push({ spec: l.attnOutput, accumulate: l.postAttnNorm === undefined, bias: false });
    plain(l.gateUp);
    if (l.down) out.push({ spec: l.down, accumulate: l.postFfnNorm === undefined, bias: false });
    if (l.moe) {
      plain(l.moe.router);
      for (const f of [...l.moe.experts, ...(l.moe.shared ? [l.moe.shared] : [])])
        plain([...f.gateUp, f.down]);
    }
  }
  return out;
}

/** Every f32 vector of a model. */
export function modelVectors(tensors: ModelTensors): VectorSpec[] {
  const out: VectorSpec[] = [tensors.outputNorm];
  for (const l of tensors.layers) {
    out.push(l.attnNorm, l.ffnNorm);
    for (const v of [l.qkvBias, l.qNorm, l.kNorm, l.postAttnNorm, l.postFfnNorm]) if (v) out.push(v);
  }
  return out;
}

/** Groups the GGUF tensors of a model (llama, qwen2, qwen3, phi3, gemma2, gemma3; mixtral, qwen2moe) for the CPU backend. */
export function modelTensors(hp: Hparams, tensors: readonly GgufTensorInfo[]): ModelTensors {
  // Optional tensors llama.cpp binds that this backend does not implement yet: refused, never ignored.
  const unread = tensors.find((t) =>
    /^(output|blk\.\d+\.(attn_output|ffn_gate|ffn_up|ffn_down))\.bias$/.test(t.name),
  );
  if (unread) {
    throw new RuminateError(
      'gguf-unsupported',
      `Tensor ${unread.name} is a bias the WebAssembly backend does not apply yet; load the model with backend: 'webgpu'.`,
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
    const fused = byName.get(fusedQkvName(l));
    const biasNames = fused
      ? [byName.get(`${p}attn_qkv.bias`)]
      : ['attn_q', 'attn_k', 'attn_v'].map((n) => byName.get(`${p}${n}.bias`));
    layers.push({
      attnNorm: vector(`${p}attn_norm.weight`, hp.nEmbd),
      qkv: fused
        ? [single(fused, hp.nEmbd, nq + 2 * nkv)]
        : stacked(
            `${p}attn_qkv`,
            [need(`${p}attn_q.weight`), need(`${p}attn_k.weight`), need(`${p}attn_v.weight`)],
            hp.nEmbd,
            [nq, nkv, nkv],
          ),
      qkvBias: biasNames.some((b) => b !== undefined)
        ? {
            name: `${p}attn_qkv.bias`,
            length: nq + 2 * nkv,
            sources: biasNames,
            lengths: fused ? [nq + 2 * nkv] : [nq, nkv, nkv],
          }
        : undefined,
      qNorm: optionalVector(`${p}attn_q_norm.weight`, hd),
      kNorm: optionalVector(`${p}attn_k_norm.weight`, hd),
      attnOutput: single(need(`${p}attn_output.weight`), nq, hp.nEmbd),
      postAttnNorm: hp.postNorms ? vector(`${p}post_attention_norm.weight`, hp.nEmbd) : undefined,
      ffnNorm: vector(`${p}ffn_norm.weight`, hp.nEmbd),
      postFfnNorm: hp.postNorms ? vector(`${p}post_ffw_norm.weight`, hp.nEmbd) : undefined,
      ...(hp.nExperts > 0
        ? { gateUp: [], down: undefined, moe: moeTensors(hp, p, need, byName) }
        : hp.arch === 'phi3'
          ? {
              // Phi-3's ffn_up is gate|up already: rows 0..n_ff the gate, n_ff..2·n_ff the up.
              gateUp: [single(need(`${p}ffn_up.weight`), hp.nEmbd, 2 * hp.nFf)],
              down: single(need(`${p}ffn_down.weight`), hp.nFf, hp.nEmbd),
              moe: undefined,
            }
          : { ...ffn(p, '', hp.nFf, need, hp.nEmbd), moe: undefined }),
    });
  }
  // gemma2 always projects with token_embd (the tensor check refuses an output.weight there).
  const head = (hp.arch === 'gemma2' ? undefined : byName.get('output.weight')) ?? need('token_embd.weight');
  return {
    layers,
    outputNorm: vector('output_norm.weight', hp.nEmbd),
    output: single(head, hp.nEmbd, hp.nVocab),
  };
}

/** A SwiGLU feed-forward of width ff from tensors `<p>ffn_{gate,up,down}<suffix>.weight`. */
function ffn(
  p: string,
  suffix: string,
  ff: number,
  need: (name: string) => GgufTensorInfo,
  nEmbd: number,
): FfnTensors {
  const gate = need(`${p}ffn_gate${suffix}.weight`);
  const up = need(`${p}ffn_up${suffix}.weight`);
  return {
    gateUp: stacked(`${p}ffn_gate_up${suffix}`, [gate, up], nEmbd, [ff, ff]),
    down: single(need(`${p}ffn_down${suffix}.weight`), ff, nEmbd),
    ff,
  };
}

/** The router, experts (sliced out of the 3-D stacks) and shared expert of one MoE layer. */
function moeTensors(
  hp: Hparams,
  p: string,
  need: (name: string) => GgufTensorInfo,
  byName: ReadonlyMap<string, GgufTensorInfo>,
): MoeTensors {
  const E = hp.nExperts;
  const ff = hp.nFf;
  const routerInputs = [need(`${p}ffn_gate_inp.weight`)];
  const routerRows = [E];
  if (hp.nFfShared > 0) {
    routerInputs.push(need(`${p}ffn_gate_inp_shexp.weight`));
    routerRows.push(1);
  }
  const router = stacked(`${p}ffn_router`, routerInputs, hp.nEmbd, routerRows);
  const stacks = {
    gate: expertStack(need(`${p}ffn_gate_exps.weight`), hp.nEmbd, ff, E),
    up: expertStack(need(`${p}ffn_up_exps.weight`), hp.nEmbd, ff, E),
    down: expertStack(need(`${p}ffn_down_exps.weight`), ff, hp.nEmbd, E),
  };
  const experts: FfnTensors[] = [];
  for (let e = 0; e < E; e++) {
    const slice = (n: keyof typeof stacks) => stacks[n][e] as GgufTensorInfo;
    experts.push({
      gateUp: stacked(`${p}ffn_gate_up_exps.${e}`, [slice('gate'), slice('up')], hp.nEmbd, [ff, ff]),
      down: single(slice('down'), ff, hp.nEmbd),
      ff,
    });
  }
  const shared =
    hp.nFfShared > 0 && byName.has(`${p}ffn_gate_shexp.weight`)
      ? ffn(p, '_shexp', hp.nFfShared, need, hp.nEmbd)
      : undefined;
  if (hp.nFfShared > 0 && !shared) {
    throw new RuminateError(
      'gguf-invalid',
      `The model lacks tensor ${p}ffn_gate_shexp.weight; the file is incomplete.`,
    );
  }
  return { router, routerWidth: routerRows.reduce((a, b) => a + b, 0), experts, shared };
}

/** The experts of a 3-D stack `[experts][rows][cols]` as one 2-D tensor each (`<name>.<e>`, a byte range of the stack). */
function expertStack(t: GgufTensorInfo, cols: number, rows: number, experts: number): GgufTensorInfo[] {
  if (t.dims.length !== 3 || t.dims[0] !== cols || t.dims[1] !== rows || t.dims[2] !== experts) {
    throw new RuminateError(
      'gguf-invalid',
      `Tensor ${t.name} has dims [${t.dims.join(', ')}], expected [${cols}, ${rows}, ${experts}].`,
    );
  }
  const bytes = t.bytes / experts;
  if (!Number.isInteger(bytes)) {
    throw new RuminateError(
      'gguf-invalid',
      `Tensor ${t.name}: ${t.bytes} bytes do not split into ${experts} experts.`,
    );
  }
  return Array.from({ length: experts }, (_, e) => ({
    ...t,
    name: `${t.name}.${e}`,
    dims: [cols, rows],
    elements: cols * rows,
    offset: t.offset + e * bytes,
    bytes,
  }));
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
