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

  /** `${NAME}`, the unroll placeholder (built, so the linter does not take it for a template slip). */
  const v = (name: string) => `$\{${name}}`;

  it('unrolls #unroll blocks counts[NAME] times onto their own lines, inside active #if branches only', () => {
    const body = [
      'a',
      '#unroll D N',
      `let q${v('D')} = x[${v('D')}u];`,
      `acc += q${v('D')} * $D;`,
      '#endunroll',
      '#if OFF',
      '#unroll E N',
      `gone${v('E')}`,
      '#endunroll',
      '#endif',
      'z',
    ].join('\n');
    const out = preprocess(body, {}, { N: 3 }).split('\n');
    expect(out).toHaveLength(11);
    expect(out[2]).toBe('let q0 = x[0u]; let q1 = x[1u]; let q2 = x[2u];');
    // Only the placeholder is replaced.
    expect(out[3]).toBe('acc += q0 * $D; acc += q1 * $D; acc += q2 * $D;');
    expect(out.filter(Boolean)).toEqual(['a', out[2], out[3], 'z']);
    expect(preprocess(`#unroll D N\nx${v('D')}\n#endunroll`, {}, { N: 0 }).trim()).toBe('');
  });

  it('nests #unroll blocks: a line repeats over every open index, outer index slowest', () => {
    const src = [
      '#unroll G A',
      `m${v('G')};`,
      '#unroll D B',
      `a${v('G')}_${v('D')};`,
      '#endunroll',
      '#endunroll',
    ].join('\n');
    const out = preprocess(src, {}, { A: 2, B: 3 }).split('\n');
    expect(out[1]).toBe('m0; m1;');
    expect(out[3]).toBe('a0_0; a0_1; a0_2; a1_0; a1_1; a1_2;');
  });

  it('rejects #unroll without a whole-number count, unbalanced, or holding directives', () => {
    expect(() => preprocess('#unroll D N\nx\n#endunroll')).toThrow(/counts.NAME/);
    expect(() => preprocess('#unroll D N\nx\n#endunroll', {}, { N: 1.5 })).toThrow(RuminateError);
    expect(() => preprocess('#unroll D N\nx', {}, { N: 2 })).toThrow(/unterminated #unroll/);
    expect(() => preprocess('#unroll D N\n#if A\n#endif\n#endunroll', {}, { N: 2 })).toThrow(
      /inside #unroll/,
    );
    expect(() => preprocess('#endunroll')).toThrow(RuminateError);
  });
});
