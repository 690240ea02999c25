import { isRuminateError } from '@ruminate/controller';
import { describe, expect, it } from 'vitest';
import { INITIAL_OUTPUT, isConstraintError, outputFields, outputProblem } from '../src/output-constraint.ts';
import { requestOf } from '../src/run-panel.tsx';

const settings = {
  prompt: '47*36',
  strategy: 'sc',
  samples: 3,
  budgetKind: 'none' as const,
  budgetValue: 400,
  maxTokens: 90,
  output: INITIAL_OUTPUT,
};

describe('the schema box', () => {
  it('adds the field of each mode to the request', () => {
    expect(requestOf(settings)).not.toHaveProperty('response_format');
    const r = (mode: typeof INITIAL_OUTPUT.mode) =>
      requestOf({ ...settings, output: { ...INITIAL_OUTPUT, mode } });
    expect(r('json').response_format).toEqual({ type: 'json_object' });
    expect(r('json_schema').response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'playground', schema: JSON.parse(INITIAL_OUTPUT.schema), strict: true },
    });
    expect(r('grammar').grammar).toBe(INITIAL_OUTPUT.grammar);
    expect(r('regex').regex).toBe(INITIAL_OUTPUT.regex);
    expect(r('grammar').strategy).toBe('sc@3');
  });

  it('refuses a schema that is not a JSON object, and empty boxes, with typed errors', () => {
    const problem = (o: Partial<typeof INITIAL_OUTPUT>) => outputProblem({ ...INITIAL_OUTPUT, ...o });
    expect(problem({ mode: 'json_schema', schema: '{"type":' })).toMatchObject({
      code: 'invalid-schema',
      message: expect.stringMatching(/^The JSON Schema is not JSON/),
    });
    expect(problem({ mode: 'json_schema', schema: '"object"' })?.code).toBe('invalid-schema');
    expect(problem({ mode: 'grammar', grammar: '  ' })?.code).toBe('invalid-grammar');
    expect(problem({ mode: 'regex', regex: '' })?.code).toBe('invalid-argument');
    // A bad box in another mode does not matter.
    expect(problem({ mode: 'free', schema: '{' })).toBeNull();
    expect(() => outputFields({ ...INITIAL_OUTPUT, mode: 'json_schema', schema: '{' })).toThrow();
    const e = problem({ mode: 'json_schema', schema: '{' });
    expect(isRuminateError(e) && isConstraintError(e)).toBe(true);
    expect(isConstraintError(new Error('x'))).toBe(false);
  });
});
