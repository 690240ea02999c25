// The request side of structured output, without an engine: which constraint each spelling of
// `response_format` / `grammar` / `regex` asks for, refusals that name the field, tool-choice
// checks, the constraint a tool request compiles to, reading tool calls back out of text, and
// the canonical JSON that self-consistency votes over.
import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import type { ChatTool, JsonSchema } from '../src/index.ts';
import { callableTools, canonicalJson, constraintOf, parseToolCalls, toolConstraint } from '../src/index.ts';

const schema: JsonSchema = { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] };

function fieldOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isRuminateError(e)) return `${e.code}:${e.field}`;
    throw e;
  }
  return 'no error';
}

describe('constraintOf', () => {
  it('maps every spelling of an output format to one constraint', () => {
    expect(constraintOf({})).toBeUndefined();
    expect(constraintOf({ response_format: { type: 'text' } })).toBeUndefined();
    expect(constraintOf({ response_format: { type: 'json_object' } })?.constraint).toEqual({
      kind: 'json_object',
    });
    expect(
      constraintOf({
        response_format: { type: 'json_schema', json_schema: { name: 'a', schema, strict: true } },
      }),
    ).toEqual({ constraint: { kind: 'json_schema', schema }, schema });
    // WebLLM: JSON mode with the schema as text.
    expect(
      constraintOf({ response_format: { type: 'json_object', schema: JSON.stringify(schema) } })?.constraint,
    ).toEqual({
      kind: 'json_schema',
      schema,
    });
    expect(
      constraintOf({ response_format: { type: 'grammar', grammar: 'root ::= "x"' } })?.constraint,
    ).toEqual({
      kind: 'grammar',
      grammar: 'root ::= "x"',
    });
    expect(constraintOf({ grammar: 'root ::= [a-z]+' })?.constraint.kind).toBe('grammar');
    expect(constraintOf({ regex: '\\d+' })?.constraint).toEqual({ kind: 'regex', pattern: '\\d+' });
  });

  it('refuses what is malformed or contradictory, naming the field', () => {
    expect(fieldOf(() => constraintOf({ response_format: { type: 'xml' } as never }))).toBe(
      'invalid-argument:response_format.type',
    );
    expect(
      fieldOf(() => constraintOf({ response_format: { type: 'json_object', schema: '{not json' } })),
    ).toBe('invalid-schema:response_format.schema');
    expect(fieldOf(() => constraintOf({ grammar: 'root ::= "a"', regex: 'a' }))).toBe(
      'invalid-argument:response_format',
    );
    expect(fieldOf(() => constraintOf({ regex: 42 as never }))).toBe('invalid-argument:regex');
  });
});

const tools: ChatTool[] = [
  {
    type: 'function',
    function: { name: 'add', parameters: { type: 'object', properties: { x: { type: 'integer' } } } },
  },
  { type: 'function', function: { name: 'now', parameters: { type: 'object' } } },
];

describe('tools', () => {
  it('tool_choice picks the callable functions; bad tools and choices are refused', () => {
    expect(callableTools(tools, undefined).map((t) => t.function.name)).toEqual(['add', 'now']);
    expect(callableTools(tools, 'none')).toEqual([]);
    expect(
      callableTools(tools, { type: 'function', function: { name: 'now' } }).map((t) => t.function.name),
    ).toEqual(['now']);
    expect(fieldOf(() => callableTools(tools, { type: 'function', function: { name: 'nope' } }))).toBe(
      'invalid-argument:tool_choice.function.name',
    );
    expect(fieldOf(() => callableTools([tools[0] as ChatTool, tools[0] as ChatTool], 'auto'))).toBe(
      'invalid-argument:tools[1].function.name',
    );
    expect(fieldOf(() => callableTools(undefined, 'required'))).toBe('invalid-argument:tool_choice');
  });

  it("constrains a forced call to the call schema, in the template's format", () => {
    expect(toolConstraint(tools, 'required', 'json')?.kind).toBe('json_schema');
    expect(toolConstraint(tools, 'auto', 'json')).toBeUndefined();
    const forced = toolConstraint(tools, 'required', 'hermes');
    expect(forced?.kind).toBe('structural_tag');
    expect(JSON.stringify(forced)).toContain('"begin":"<tool_call>\\n"');
    const auto = toolConstraint(tools, 'auto', 'hermes');
    expect(JSON.stringify(auto)).toContain('"triggers":["<tool_call>"]');
  });

  it('reads calls back out of text (and leaves text that is not a call alone)', () => {
    const text = 'Sure.<tool_call>\n{"name": "add", "arguments": {"x": 2}}\n</tool_call>';
    const { calls, content } = parseToolCalls(text, tools, 'hermes');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.function).toEqual({ name: 'add', arguments: '{"x":2}' });
    expect(calls[0]?.id).toMatch(/^call-/);
    expect(content).toBe('Sure.');
    expect(
      parseToolCalls('<tool_call>{"name": "rm", "arguments": {}}</tool_call>', tools, 'hermes').calls,
    ).toEqual([]);
    expect(parseToolCalls('{"name": "now", "parameters": {}}', tools, 'json').calls[0]?.function.name).toBe(
      'now',
    );
    expect(parseToolCalls('plain words', tools, 'json')).toEqual({ calls: [], content: 'plain words' });
  });
});

describe('canonicalJson', () => {
  it('gives equal values one spelling and refuses non-JSON', () => {
    expect(canonicalJson('{"b": [1, {"y": 2, "x": 1}], "a": null}')).toBe('{"a":null,"b":[1,{"x":1,"y":2}]}');
    expect(canonicalJson('{"a":1,"b":2}')).toBe(canonicalJson('{ "b": 2, "a": 1 }'));
    expect(canonicalJson('{"a":')).toBeNull();
  });
});
