import { describe, expect, it } from 'vitest';
import { searchOrder, spreadOrder } from '../src/tuner/search-order.ts';

describe('tuner search order', () => {
  it('visits every index once, spread over the list (bit-reversed)', () => {
    expect(spreadOrder(8)).toEqual([0, 4, 2, 6, 1, 5, 3, 7]);
    for (const n of [1, 2, 5, 24, 33]) {
      const order = spreadOrder(n);
      expect([...order].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    }
    // With 33 candidates (6 bits, codes ≥ 33 skipped) the first probes span the whole list.
    expect(spreadOrder(33).slice(0, 5)).toEqual([0, 32, 16, 8, 24]);
  });

  it('times the default first, then candidates that did well on other shapes, best first', () => {
    const priors = new Map([
      [7, 0.9],
      [3, 0.3],
      [5, 1.4],
    ]);
    const order = searchOrder(8, 2, priors);
    expect(order.slice(0, 4)).toEqual([2, 3, 7, 5]);
    expect(order.slice(4)).toEqual([0, 4, 6, 1]);
    expect(new Set(order).size).toBe(8);
  });
});
