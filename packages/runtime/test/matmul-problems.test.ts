import { ggmlType } from '@ruminate/gpu';
import { describe, expect, it } from 'vitest';
import type { GgufTensorInfo } from '../src/gguf/types.ts';
import { modelMatmulProblems } from '../src/model/matmul-problems.ts';

const info = (
  name: string,
  dims: number[],
  type: Parameters<typeof ggmlType>[0] = 'q4_0',
): GgufTensorInfo => ({
  name,
  type: ggmlType(type),
  dims,
  elements: dims.reduce((a, b) => a * b, 1),
  offset: 0,
  bytes: 0,
});

describe('modelMatmulProblems', () => {
  it('lists each distinct projection shape once per row count, with the tensors that pose it', () => {
    const tensors = [
      info('token_embd.weight', [512, 8000], 'q8_0'),
      info('blk.0.attn_norm.weight', [512], 'f32'),
      info('blk.0.attn_q.weight', [512, 512]),
      info('blk.0.attn_k.weight', [512, 128]),
      info('blk.0.attn_v.weight', [512, 128]),
      info('blk.0.attn_output.weight', [512, 512]),
      info('blk.1.attn_q.weight', [512, 512]),
      info('blk.0.ffn_gate.weight', [512, 1376]),
      info('blk.0.ffn_down.weight', [1376, 512], 'q6_k'),
      info('blk.0.ffn_gate_exps.weight', [512, 64, 8]),
    ];
    const problems = modelMatmulProblems(tensors, [1, 16]);
    const keys = problems.map((p) => `${p.m}:${p.k}x${p.n}:${p.dtype}`);
    expect(keys).toEqual([
      '1:512x8000:q8_0',
      '16:512x8000:q8_0',
      '1:512x512:q4_0',
      '16:512x512:q4_0',
      '1:512x128:q4_0',
      '16:512x128:q4_0',
      '1:512x1376:q4_0',
      '16:512x1376:q4_0',
      '1:1376x512:q6_k',
      '16:1376x512:q6_k',
    ]);
    expect(problems[2]?.tensors).toEqual([
      'blk.0.attn_q.weight',
      'blk.0.attn_output.weight',
      'blk.1.attn_q.weight',
    ]);
  });

  it('uses the output head, not the embedding, when the model has one', () => {
    const problems = modelMatmulProblems(
      [info('token_embd.weight', [64, 100]), info('output.weight', [64, 100], 'q6_k')],
      [1],
    );
    expect(problems.map((p) => [p.dtype, p.tensors])).toEqual([['q6_k', ['output.weight']]]);
  });
});
