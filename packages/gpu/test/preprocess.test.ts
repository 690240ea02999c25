import { describe, expect, it } from 'vitest';
import { RuminateError } from '../src/errors.ts';
import { preprocess } from '../src/jit/preprocess.ts';

describe('preprocess', () => {
  const src = [
    'a',
    '#if F16',
    'half',
    '#if SUB',
    'both',
    '#endif',
    '#else',
    'full',
    '#endif',
    '#if !SUB',
    'nosub',
    '#endif',
    'z',
  ].join('\n');

  it('selects branches and keeps line numbers', () => {
    const out = preprocess(src, { F16: true, SUB: true }).split('\n');
    expect(out).toHaveLength(13);
    expect(out.filter(Boolean)).toEqual(['a', 'half', 'both', 'z']);
  });

  it('treats undefined names as false and supports negation', () => {
    expect(preprocess(src).split('\n').filter(Boolean)).toEqual(['a', 'full', 'nosub', 'z']);
  });

  it('rejects unbalanced or unknown directives with a typed error', () => {
    expect(() => preprocess('#if A\nx')).toThrow(RuminateError);
    expect(() => preprocess('#endif')).toThrow(RuminateError);
    expect(() => preprocess('#define X 1')).toThrow(/unsupported directive/);
  });
});
