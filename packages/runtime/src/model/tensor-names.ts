// The tensors a model reads, computed from its hyper-parameters alone, so that every backend
// (WebGPU, WebAssembly, the float64 reference) checks a file the same way before binding it.
// Names, shapes and which tensors are optional follow llama.cpp's `load_arch_tensors`
// (src/models/{llama,qwen2,qwen3,qwen2moe,phi3,gemma2,gemma3}.cpp, `create_tensor_qkv` in
// src/llama-model.cpp: every architecture takes a fused attn_qkv in place of attn_q/k/v),
// names from `LLM_TENSOR_NAMES` (src/llama-arch.cpp), shapes innermost first as ggml `ne`.
// llama.cpp refuses a file with a tensor its loader did not create ("wrong number of tensors",
// `llama_model_loader::done_getting_tensors`), one missing a required tensor, and one whose
// tensor has another shape ("tensor '%s' has wrong shape"); so does Ruminate.
import { RuminateError } from '@ruminate/errors';
import type { Hparams } from './hparams.ts';

/** One tensor a model of given hyper-parameters reads. */
export interface ExpectedTensor {
  /** GGUF tensor name. */
  name: string;
  /** Shape, innermost first (ggml `ne`); trailing 1s in the file are accepted, as llama.cpp does. */
  dims: readonly number[];
  /** Whether the file must hold it (optional tensors are bound when present). */
  required: boolean;
}

/** A tensor of the file as the check sees it. */
export interface FileTensor {
  /** GGUF tensor name. */
  name: string;
  /** Shape, innermost first. */
  dims: readonly number[];
}

/** Options of `checkModelTensors`. */
export interface TensorCheckOptions {
  /** Load even when the file holds tensors the model never reads (they are left out, not uploaded). */
  allowUnusedTensors?: boolean;
}

/**
 * Tensors llama.cpp reads for a supported architecture that change the computation and that
 * Ruminate does not implement, by name pattern: a file with one is refused, never run without it.
 */
const UNIMPLEMENTED: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /^output\.bias$/, what: 'an output projection bias' },
  { pattern: /^dense_[23]_out\.weight$/, what: "EmbeddingGemma's dense projection" },
];

/** Notes for tensors llama.cpp accepts but never uses for generation. */
const UNUSED_NOTES: readonly { pattern: RegExp; note: string }[] = [
  {
    pattern: /^cls\.output\.weight$/,
    note: "a reranker's classification head, which llama.cpp uses only for rerank pooling",
  },
];

/** Width of the query (and attention output) projection: n_embd for qwen2, qwen2moe and phi3, head size × heads otherwise. */
export function queryWidth(hp: Hparams): number {
  return hp.arch === 'qwen2' || hp.arch === 'qwen2moe' || hp.arch === 'phi3'
    ? hp.nEmbd
    : hp.headDim * hp.nHeads;
}

/** Name of layer l's fused q|k|v projection, which a file may hold instead of attn_q/k/v. */
export const fusedQkvName = (l: number) => `blk.${l}.attn_qkv.weight`;

/**
 * The tensors a model of hyper-parameters `hp` reads, required ones and optional ones; `has`
 * says which tensors the file holds, for the alternatives llama.cpp takes (a fused attn_qkv).
 */
export function expectedTensors(hp: Hparams, has: (name: string) => boolean = () => false): ExpectedTensor[] {
  const out: ExpectedTensor[] = [];
  const add = (name: string, dims: number[], required = true) => out.push({ name, dims, required });
  const e = hp.nEmbd;
  const kv = hp.headDim * hp.nKvHeads;
  const q = queryWidth(hp);
  const gemma = hp.arch === 'gemma2' || hp.arch === 'gemma3';
  add('token_embd.weight', [e, hp.nVocab]);
  add('output_norm.weight', [e]);
  // Absent output.weight means the output projection is token_embd (tied), except for qwen2moe;
  // gemma2 always projects with token_embd (a file's output.weight is unread).
  if (hp.arch !== 'gemma2') add('output.weight', [e, hp.nVocab], hp.arch === 'qwen2moe');
  // Llama 3.1+ frequency factors: one tensor shared by every layer; Phi-3's LongRoPE pair likewise.
  if (hp.arch === 'llama') add('rope_freqs.weight', [hp.ropeDims / 2], false);
  if (hp.arch === 'phi3') {
    add('rope_factors_long.weight', [hp.ropeDims / 2], false);
    add('rope_factors_short.weight', [hp.ropeDims / 2], false);
  }
  for (let l = 0; l < hp.nLayers; l++) {
    const p = `blk.${l}.`;
    add(`${p}attn_norm.weight`, [e]);
    if (has(fusedQkvName(l))) {
      add(fusedQkvName(l), [e, q + 2 * kv]);
      add(`${p}attn_qkv.bias`, [q + 2 * kv], false);
    } else {
      add(`${p}attn_q.weight`, [e, q]);
      add(`${p}attn_k.weight`, [e, kv]);
      add(`${p}attn_v.weight`, [e, kv]);
      add(`${p}attn_q.bias`, [q], false);
      add(`${p}attn_k.bias`, [kv], false);
      add(`${p}attn_v.bias`, [kv], false);
    }
    add(`${p}attn_output.weight`, [q, e]);
    if (hp.arch === 'llama') add(`${p}attn_output.bias`, [e], false);
    if (hp.arch === 'qwen3' || hp.arch === 'gemma3') {
      add(`${p}attn_k_norm.weight`, [hp.headDim]);
      add(`${p}attn_q_norm.weight`, [hp.headDim]);
    }
    if (gemma) add(`${p}post_attention_norm.weight`, [e]);
    add(`${p}ffn_norm.weight`, [e]);
    if (gemma) add(`${p}post_ffw_norm.weight`, [e]);
    if (hp.arch === 'phi3') {
      // Phi-3's gate and up projections are one tensor: rows 0..n_ff are the gate, n_ff..2·n_ff the up.
      add(`${p}ffn_up.weight`, [e, 2 * hp.nFf]);
      add(`${p}ffn_down.weight`, [hp.nFf, e]);
    } else if (hp.nExperts === 0) {
      add(`${p}ffn_gate.weight`, [e, hp.nFf]);
      add(`${p}ffn_down.weight`, [hp.nFf, e]);
      add(`${p}ffn_up.weight`, [e, hp.nFf]);
      if (hp.arch === 'llama') {
        add(`${p}ffn_gate.bias`, [hp.nFf], false);
        add(`${p}ffn_down.bias`, [e], false);
        add(`${p}ffn_up.bias`, [hp.nFf], false);
      }
    } else {
      add(`${p}ffn_gate_inp.weight`, [e, hp.nExperts]);
      // (llama.cpp's llama loader also runs experts without a gate tensor; Ruminate needs it.)
      add(`${p}ffn_gate_exps.weight`, [e, hp.nFf, hp.nExperts]);
      add(`${p}ffn_down_exps.weight`, [hp.nFf, e, hp.nExperts]);
      add(`${p}ffn_up_exps.weight`, [e, hp.nFf, hp.nExperts]);
      if (hp.nFfShared > 0) {
        add(`${p}ffn_gate_inp_shexp.weight`, [e]);
        add(`${p}ffn_gate_shexp.weight`, [e, hp.nFfShared]);
        add(`${p}ffn_down_shexp.weight`, [hp.nFfShared, e]);
        add(`${p}ffn_up_shexp.weight`, [e, hp.nFfShared]);
      }
    }
  }
  return out;
}

/** Whether `have` is `want` up to trailing 1s (llama.cpp `check_tensor_dims`). */
function sameShape(have: readonly number[], want: readonly number[]): boolean {
  for (let i = 0; i < Math.max(have.length, want.length); i++) {
    if ((have[i] ?? 1) !== (want[i] ?? 1)) return false;
  }
  return true;
}

const shape = (d: readonly number[]) => `[${d.join(', ')}]`;

/**
 * Checks the file's tensors against what a model of `hp` reads: a required tensor missing, a
 * tensor of the wrong shape, a tensor Ruminate does not implement, and (unless
 * `allowUnusedTensors`) a tensor nothing reads are each refused with an error naming the tensor.
 * Returns the file's tensors the model reads, in file order.
 */
export function checkModelTensors<T extends FileTensor>(
  hp: Hparams,
  tensors: readonly T[],
  opts: TensorCheckOptions = {},
): T[] {
  const have = new Map(tensors.map((t) => [t.name, t]));
  const expected = new Map(expectedTensors(hp, (n) => have.has(n)).map((t) => [t.name, t]));
  for (const t of tensors) {
    const bad = UNIMPLEMENTED.find((u) => u.pattern.test(t.name));
    if (bad) {
      throw new RuminateError(
        'gguf-unsupported',
        `Tensor ${t.name} is ${bad.what}, which llama.cpp's ${hp.arch} loader reads and Ruminate does not implement yet; ` +
          'it refuses the file rather than run the model without it.',
      );
    }
  }
  for (const want of expected.values()) {
    const t = have.get(want.name);
    if (!t) {
      if (want.required) {
        throw new RuminateError(
          'gguf-invalid',
          `The model lacks tensor ${want.name} ${shape(want.dims)}, which a ${hp.arch} model needs; the file is incomplete ` +
            'or its metadata does not describe its tensors.',
        );
      }
      continue;
    }
    if (!sameShape(t.dims, want.dims)) {
      throw new RuminateError(
        'gguf-invalid',
        `Tensor ${want.name} has shape ${shape(t.dims)}, but the model's metadata implies ${shape(want.dims)} ` +
          '(llama.cpp refuses it too: "wrong shape"); the file\'s metadata and tensors disagree.',
      );
    }
  }
  const unused = tensors.filter((t) => !expected.has(t.name));
  if (unused.length > 0 && !opts.allowUnusedTensors) {
    const list = unused.slice(0, 5).map((t) => {
      const note = UNUSED_NOTES.find((u) => u.pattern.test(t.name))?.note;
      return note ? `${t.name} (${note})` : t.name;
    });
    throw new RuminateError(
      'gguf-unsupported',
      `The model holds ${unused.length} tensor(s) a ${hp.arch} model never reads: ${list.join(', ')}` +
        `${unused.length > 5 ? ', …' : ''}. Running without them could compute something other than the model ` +
        '(llama.cpp refuses such a file too: "wrong number of tensors"). Load with allowUnusedTensors: true to ' +
        'ignore them anyway.',
    );
  }
  return tensors.filter((t) => expected.has(t.name));
}
