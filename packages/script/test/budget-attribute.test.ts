import { isRuminateError } from '@ruminate/controller';
import { describe, expect, it } from 'vitest';
import { describeBudget, parseBudget } from '../src/budget-attribute.ts';

describe('parseBudget', () => {
  it('reads token budgets', () => {
    expect(parseBudget('tokens:400')).toEqual({ tokens: 400 });
    expect(parseBudget(' Tokens = 12 ')).toEqual({ tokens: 12 });
    expect(parseBudget('300 tokens')).toEqual({ tokens: 300 });
  });
  it('reads latency budgets in ms and s', () => {
    expect(parseBudget('latency:5000')).toEqual({ latencyMs: 5000 });
    expect(parseBudget('latency:2.5s')).toEqual({ latencyMs: 2500 });
    expect(parseBudget('750ms')).toEqual({ latencyMs: 750 });
    expect(parseBudget('3s')).toEqual({ latencyMs: 3000 });
  });
  it('treats empty as no budget', () => {
    expect(parseBudget('')).toBeUndefined();
    expect(parseBudget(null)).toBeUndefined();
  });
  it('rejects nonsense with a typed error naming the field', () => {
    for (const bad of ['lots', 'tokens:-3', 'tokens:0', '5 parsecs']) {
      try {
        parseBudget(bad);
        expect.unreachable(bad);
      } catch (e) {
        expect(isRuminateError(e) && e.code === 'invalid-argument' && e.field === 'budget').toBe(true);
      }
    }
  });
  it('describes budgets', () => {
    expect(describeBudget({ tokens: 400 })).toBe('400 tokens');
    expect(describeBudget({ latencyMs: 5000 })).toBe('5.0 s');
    expect(describeBudget(null)).toBe('no budget');
  });
});
