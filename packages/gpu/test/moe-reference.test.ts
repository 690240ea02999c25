import { describe, expect, it } from 'vitest';
import { expertMatmulReference, moeGroupReference, moeRouteReference } from '../src/ops/moe/moe-reference.ts';

describe('MoE float64 references (hand-checked)', () => {
  it('routes with llama.cpp weights: softmax probabilities, renormalised over the top-k only when asked', () => {
    // softmax([0, ln 2, ln 3, 0]) = [1, 2, 3, 1] / 7 → top-2 = experts 2 then 1.
    const router = new Float32Array([0, Math.log(2), Math.log(3), 0]);
    const qwen2moe = moeRouteReference(router, 1, 4, 2, false);
    expect(Array.from(qwen2moe.selected)).toEqual([2, 1]);
    expect(qwen2moe.weights[0]).toBeCloseTo(3 / 7, 6);
    expect(qwen2moe.weights[1]).toBeCloseTo(2 / 7, 6);
    const mixtral = moeRouteReference(router, 1, 4, 2, true, 2);
    expect(mixtral.weights[0]).toBeCloseTo(2 * 0.6, 6);
    expect(mixtral.weights[1]).toBeCloseTo(2 * 0.4, 6);
    // Ties go to the lower expert id.
    expect(Array.from(moeRouteReference(new Float32Array([1, 1, 1]), 1, 3, 2, true).selected)).toEqual([
      0, 1,
    ]);
  });

  it('groups assignments by expert with counts and exclusive offsets', () => {
    // rows 3, topk 2: assignments 0..5 → experts [1, 0, 1, 2, 0, 1]
    const g = moeGroupReference(new Uint32Array([1, 0, 1, 2, 0, 1]), 4);
    expect(Array.from(g)).toEqual([2, 3, 1, 0, 0, 2, 5, 6, 6, 1, 4, 0, 2, 5, 3]);
  });

  it('multiplies each assignment by its expert with shared or per-slot inputs', () => {
    // 2 experts of 1×2: E0 = [1, 2], E1 = [3, 4]; one row routed to [1, 0].
    const w = new Float32Array([1, 2, 3, 4]);
    const bytes = new Uint8Array(w.buffer);
    const shared = expertMatmulReference(
      bytes,
      'f32',
      2,
      1,
      2,
      new Float32Array([1, 1]),
      new Uint32Array([1, 0]),
      2,
    );
    expect(Array.from(shared)).toEqual([7, 3]);
    const perSlot = expertMatmulReference(
      bytes,
      'f32',
      2,
      1,
      2,
      new Float32Array([1, 0, 0, 1]),
      new Uint32Array([1, 0]),
      2,
      4,
      2,
    );
    expect(Array.from(perSlot)).toEqual([3, 2]);
  });
});
