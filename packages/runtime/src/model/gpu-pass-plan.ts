// Per-pass plumbing of the WebGPU model: which matrices a layer may bind (to plan matmul
// compilation and split scratch), buffer slices, and how a pass's rows group for attention.
import { type BufferSlice, PAGE_TOKENS, type RowRange } from '@ruminate/gpu';
import type { ForwardPass } from './backend.ts';
import type { Hparams } from './hparams.ts';

/** Names of the matrices of every layer (for planning matmul compilation and split scratch). */
export function* weightNames(hp: Hparams): Generator<string> {
  yield 'token_embd.weight';
  yield 'output.weight';
  for (let l = 0; l < hp.nLayers; l++) {
    for (const n of ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down']) {
      yield `blk.${l}.${n}.weight`;
    }
    for (const n of [
      'ffn_gate_inp',
      'ffn_gate_shexp',
      'ffn_up_shexp',
      'ffn_down_shexp',
      'ffn_gate_inp_shexp',
    ]) {
      yield `blk.${l}.${n}.weight`;
    }
  }
}

/** A buffer's first `floats` f32 values as a slice. */
export function whole(b: GPUBuffer, floats: number): BufferSlice {
  return { buffer: b, offset: 0, size: floats * 4 };
}

/** Decode rows (sequences with one row in the pass) as one range, every other sequence's rows as a prefill chunk. */
export function attentionRanges(pass: ForwardPass): {
  attnRanges: { decode?: RowRange; prefill?: RowRange[] };
  maxKeys: number;
} {
  const groups: RowRange[] = [];
  pass.rows.forEach((r, i) => {
    const last = groups.at(-1);
    if (last && pass.rows[last.start]?.slot === r.slot) last.count++;
    else groups.push({ start: i, count: 1 });
  });
  let decodeEnd = 0;
  while (decodeEnd < groups.length && groups[decodeEnd]?.count === 1) decodeEnd++;
  let maxKeys = 0;
  for (let i = 0; i < decodeEnd; i++) {
    maxKeys = Math.max(maxKeys, (pass.rows[i]?.position ?? 0) + 1);
  }
  const attnRanges: { decode?: RowRange; prefill?: RowRange[] } = {};
  if (decodeEnd > 0) attnRanges.decode = { start: 0, count: decodeEnd };
  if (decodeEnd < groups.length) attnRanges.prefill = groups.slice(decodeEnd);
  return { attnRanges, maxKeys: Math.max(maxKeys, PAGE_TOKENS) };
}
