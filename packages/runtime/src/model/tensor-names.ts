// The tensors a model reads, computed from its hyper-parameters alone, so that every backend
// (WebGPU, WebAssembly, the float64 reference) checks a file the same way before binding it.
// Names, shapes and which tensors are optional follow llama.cpp's `load_arch_tensors`
// (src/models/{llama,qwen2,qwen3,qwen2moe}.cpp, `create_tensor_qkv` in src/llama-model.cpp),
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
  {
    pattern: /^blk\.\d+\.attn_qkv\.(weight|bias)$/,
    what: 'a fused QKV projection (llama.cpp uses it instead of attn_q/attn_k/attn_v)',
  },
  { pattern: /^output\.bias$/, what: 'an output projection bias' },
  { pattern: /^rope_factors_(long|short)\.weight$/, what: 'LongRoPE frequency factors' },
];

/** Notes for tensors llama.cpp accepts but never uses for generation. */
const UNUSED_NOTES: readonly { pattern: RegExp; note: string }[] = [
  {
    pattern: /^cls\.output\.weight$/,
    note: "a reranker's classification head, which llama.cpp uses only for rerank pooling",
  },
];

/** The tensors a model of hyper-parameters `hp` reads, required ones and optional ones. */
export function expectedTensors(hp: Hparams): ExpectedTensor[] {
  const out: ExpectedTensor[] = [];
  const add = (name: string, dims: number[], required = true) => out.push({ name, dims, required });
  const e = hp.nEmbd;
  const kv = hp.headDim * hp.nKvHeads;
  // qwen2 and qwen2moe size the query and output projections by n_embd; llama and qwen3 by head size × heads.
  const q = hp.arch === 'qwen2' || hp.arch === 'qwen2moe' ? e : hp.headDim * hp.nHeads;
  add('token_embd.weight', [e, hp.nVocab]);
  add('output_norm.weight', [e]);
  // Absent output.weight means the output projection is token_embd (tied), except for qwen2moe.
  add('output.weight', [e, hp.nVocab], hp.arch === 'qwen2moe');
  // Llama 3.1+ frequency factors: one tensor shared by every layer.
  if (hp.arch === 'llama') add('rope_freqs.weight', [hp.ropeDims / 2], false);
  for (let l = 0; l < hp.nLayers; l++) {
    const p = `blk.${l}.`;
    add(`${p}attn_norm.weight`, [e]);
    add(`${p}attn_q.weight`, [e, q]);
    add(`${p}attn_k.weight`, [e, kv]);
    add(`${p}attn_v.weight`, [e, kv]);
    add(`${p}attn_q.bias`, [q], false);
    add(`${p}attn_k.bias`, [kv], false);
    add(`${p}attn_v.bias`, [kv], false);
    add(`${p}attn_output.weight`, [q, e]);
    if (hp.arch === 'llama') add(`${p}attn_output.bias`, [e], false);
    if (hp.arch === 'qwen3') {
      add(`${p}attn_k_norm.weight`, [hp.headDim]);
      add(`${p}attn_q_norm.weight`, [hp.headDim]);
    }
    add(`${p}ffn_norm.weight`, [e]);
    if (hp.nExperts === 0) {
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
  const expected = new Map(expectedTensors(hp).map((t) => [t.name, t]));
  const have = new Map(tensors.map((t) => [t.name, t]));
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
