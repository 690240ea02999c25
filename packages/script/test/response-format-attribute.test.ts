import { isRuminateError } from '@ruminate/controller';
import { describe, expect, it } from 'vitest';
import { constraintAttributes, parseResponseFormat } from '../src/response-format-attribute.ts';

const schema = { type: 'object', properties: { x: { type: 'integer' } }, required: ['x'] };
const page: Record<string, string> = {
  point: JSON.stringify(schema),
  'b-grammar': 'root ::= "B:" num\nnum ::= [0-9]+',
  full: JSON.stringify({ type: 'json_object' }),
  broken: '{"type": ',
};
const lookup = (id: string) => (id in page ? { textContent: page[id] ?? null } : null);

/** The typed error a call throws (code, field, message). */
function failure(f: () => unknown): { code: string; field?: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isRuminateError(e)) return { code: e.code, field: e.field, message: e.message };
    return { code: 'untyped', message: String(e) };
  }
  return { code: 'no error', message: '' };
}

describe('parseResponseFormat', () => {
  it('reads JSON mode and free text', () => {
    for (const v of ['json', 'JSON', ' json_object '])
      expect(parseResponseFormat(v, lookup)).toEqual({ type: 'json_object' });
    for (const v of [null, '', 'text']) expect(parseResponseFormat(v, lookup)).toBeUndefined();
  });
  it('reads a JSON Schema inline or from #id (named after the id), and a whole response_format object', () => {
    expect(parseResponseFormat(JSON.stringify(schema), lookup)).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema, strict: true },
    });
    expect(parseResponseFormat('#point', lookup)).toEqual({
      type: 'json_schema',
      json_schema: { name: 'point', schema, strict: true },
    });
    expect(parseResponseFormat('#full', lookup)).toEqual({ type: 'json_object' });
    const openai = { type: 'json_schema', json_schema: { name: 'p', schema } };
    expect(parseResponseFormat(JSON.stringify(openai), lookup)).toEqual(openai);
  });
  it('rejects what is not a schema with typed errors naming the attribute', () => {
    expect(failure(() => parseResponseFormat('{"type": ', lookup))).toMatchObject({
      code: 'invalid-schema',
      field: 'response-format',
      message: expect.stringMatching(
        /^response-format="\{"type":" is not JSON \(.*\)\. Write "json" for JSON mode/,
      ),
    });
    expect(failure(() => parseResponseFormat('#broken', lookup))).toMatchObject({
      code: 'invalid-schema',
      message: expect.stringMatching(/^The element #broken is not JSON/),
    });
    expect(failure(() => parseResponseFormat('[1, 2]', lookup))).toMatchObject({
      code: 'invalid-schema',
      message: expect.stringContaining('holds an array, not a JSON Schema object'),
    });
    expect(failure(() => parseResponseFormat('yaml please', lookup)).code).toBe('invalid-schema');
    expect(failure(() => parseResponseFormat('#missing', lookup))).toMatchObject({
      code: 'invalid-argument',
      field: 'response-format',
      message: expect.stringContaining('<script type="application/json" id="missing">'),
    });
  });
});

describe('constraintAttributes', () => {
  const attrs = (a: Record<string, string>) => (name: string) => a[name] ?? null;
  it('maps grammar (inline or #id) and regex to the request fields', () => {
    expect(constraintAttributes(attrs({ grammar: '#b-grammar' }), lookup)).toEqual({
      grammar: page['b-grammar'],
    });
    // A grammar that starts with a GBNF comment is not an id reference.
    const commented = '# yes or no\nroot ::= "yes" | "no"';
    expect(constraintAttributes(attrs({ grammar: commented }), lookup)).toEqual({ grammar: commented });
    expect(constraintAttributes(attrs({ regex: '[0-9]+' }), lookup)).toEqual({ regex: '[0-9]+' });
    expect(constraintAttributes(attrs({ 'response-format': 'json' }), lookup)).toEqual({
      response_format: { type: 'json_object' },
    });
    expect(constraintAttributes(attrs({}), lookup)).toEqual({});
  });
  it('rejects a missing or empty grammar and two constraints at once', () => {
    expect(failure(() => constraintAttributes(attrs({ grammar: '#nope' }), lookup))).toMatchObject({
      code: 'invalid-argument',
      field: 'grammar',
      message: expect.stringContaining('<script type="text/plain" id="nope">'),
    });
    page.empty = ' ';
    expect(failure(() => constraintAttributes(attrs({ grammar: '#empty' }), lookup)).code).toBe(
      'invalid-grammar',
    );
    expect(
      failure(() => constraintAttributes(attrs({ 'response-format': 'json', regex: '[0-9]' }), lookup)),
    ).toMatchObject({
      code: 'invalid-argument',
      message: expect.stringContaining('response-format and regex'),
    });
  });
});
