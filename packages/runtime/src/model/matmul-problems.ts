// Which matmul problems a model poses, read from its GGUF tensor infos alone: the tuner
// times kernels on exactly these shapes (`ruminate tune --model`), without loading weights.
import { isMatmulDtype, type MatmulShape } from '@ruminate/gpu';
import type { GgufTensorInfo } from '../gguf/types.ts';

/** Weights that run through the matmul kernels (2-D, per layer or the output head). */
const MATMUL_WEIGHT = /^(blk\.\d+\.(attn_(q|k|v|output|qkv)|ffn_(gate|up|down)(_shexp)?)|output)\.weight$/;

/** Activation-row counts served: decode batches of 1, 4 and 16 sequences, and a prefill chunk. */
export const TUNED_ROW_COUNTS = [1, 4, 16, 128] as const;

/** One distinct matmul shape of the model and the tensors that pose it. */
export interface ModelMatmulProblem extends MatmulShape {
  /** Tensor names with this (k, n, dtype), e.g. every layer's `attn_q.weight`. */
  tensors: string[];
}

/**
 * Distinct (m, k, n, dtype) matmul problems of a model: every 2-D projection weight (and the
 * output head, or the tied token embedding when there is none) at each row count in `rows`.
 */
export function modelMatmulProblems(
  tensors: readonly GgufTensorInfo[],
  rows: readonly number[] = TUNED_ROW_COUNTS,
): ModelMatmulProblem[] {
  const byShape = new Map<string, ModelMatmulProblem[]>();
  const hasOutput = tensors.some((t) => t.name === 'output.weight');
  for (const t of tensors) {
    const tiedHead = !hasOutput && t.name === 'token_embd.weight';
    if (!(MATMUL_WEIGHT.test(t.name) || tiedHead) || t.dims.length !== 2) continue;
    const dtype = t.type.name;
    if (!isMatmulDtype(dtype)) continue;
    const [k, n] = t.dims as [number, number];
    const key = `${k}x${n}:${dtype}`;
    let list = byShape.get(key);
    if (!list) {
      list = rows.map((m) => ({ m, k, n, dtype, tensors: [] }));
      byShape.set(key, list);
    }
    for (const p of list) p.tensors.push(t.name);
  }
  return [...byShape.values()].flat();
}
