// Tool calls (OpenAI's `tools` + `tool_choice`): the tools are rendered by the model's own chat
// template (its `tools` variable), the call is constrained while decoding to the model's call
// format with the function's parameter schema, and the reply's text is read back into OpenAI's
// `tool_calls`. Two formats cover the templates in use: `hermes` (Qwen 2/2.5/3, Hermes: a JSON
// object `{"name", "arguments"}` between `<tool_call>` and `</tool_call>`) and `json` (the bare
// object, e.g. Llama 3.1's JSON tool calling).
import { RuminateError } from '@ruminate/errors';
import type { Constraint } from '@ruminate/runtime';
import type { JsonSchema } from '../verifiers/json-schema.ts';
import { responseId } from './response.ts';
import type { ChatTool, ToolCall, ToolChoice } from './types.ts';

/** How the model writes a call. */
export type ToolCallFormat = 'hermes' | 'json';

const OPEN = '<tool_call>\n';
const CLOSE = '\n</tool_call>';

function bad(field: string, message: string): RuminateError {
  return new RuminateError('invalid-argument', `${field} ${message}`, { field });
}

/** Checks `tools` and `tool_choice`; returns the functions the model may call (none for `tool_choice: 'none'`). */
export function callableTools(
  tools: readonly ChatTool[] | undefined,
  choice: ToolChoice | undefined,
): ChatTool[] {
  if (tools === undefined) {
    if (choice !== undefined && choice !== 'none') throw bad('tool_choice', 'needs tools.');
    return [];
  }
  if (!Array.isArray(tools))
    throw bad('tools', 'must be an array of { type: "function", function: { name, parameters } }.');
  const names = new Set<string>();
  tools.forEach((t, i) => {
    const f = t?.function;
    if (t?.type !== 'function' || !f || typeof f.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(f.name)) {
      throw bad(
        `tools[${i}]`,
        'must be { type: "function", function: { name (letters, digits, _ or -, ≤ 64), parameters? } }.',
      );
    }
    if (names.has(f.name)) throw bad(`tools[${i}].function.name`, `repeats "${f.name}".`);
    if (f.parameters !== undefined && (typeof f.parameters !== 'object' || f.parameters === null)) {
      throw bad(`tools[${i}].function.parameters`, 'must be a JSON Schema object.');
    }
    names.add(f.name);
  });
  if (choice === undefined || choice === 'auto' || choice === 'required') return [...tools];
  if (choice === 'none') return [];
  if (
    typeof choice === 'object' &&
    choice?.type === 'function' &&
    typeof choice.function?.name === 'string'
  ) {
    const named = tools.find((t) => t.function.name === choice.function.name);
    if (!named) throw bad('tool_choice.function.name', `"${choice.function.name}" is not one of the tools.`);
    return [named];
  }
  throw bad('tool_choice', 'must be none, auto, required or { type: "function", function: { name } }.');
}

/** The JSON Schema of one call to any of `tools`: `{"name": <one of them>, "arguments": <its parameters>}`. */
export function callSchema(tools: readonly ChatTool[]): JsonSchema {
  const one = (t: ChatTool): JsonSchema => ({
    type: 'object',
    properties: {
      name: { const: t.function.name },
      arguments: (t.function.parameters as JsonSchema | undefined) ?? { type: 'object' },
    },
    required: ['name', 'arguments'],
  });
  return tools.length === 1 ? one(tools[0] as ChatTool) : { anyOf: tools.map(one) };
}

/**
 * The constraint of a tool request: with `required` or a named function, the whole reply is one
 * call; with `auto` (hermes format) free text in which every `<tool_call>` section must be a valid
 * call. `auto` on a bare-JSON template stays unconstrained (the reply is read as a call when it is one).
 */
export function toolConstraint(
  tools: readonly ChatTool[],
  choice: ToolChoice | undefined,
  format: ToolCallFormat,
): Constraint | undefined {
  if (tools.length === 0) return undefined;
  const schema = callSchema(tools) as Record<string, unknown>;
  const forced = choice === 'required' || typeof choice === 'object';
  if (format === 'json') return forced ? { kind: 'json_schema', schema } : undefined;
  const tag = { type: 'tag', begin: OPEN, content: { type: 'json_schema', json_schema: schema }, end: CLOSE };
  const format_ = forced
    ? { type: 'tags_with_separator', tags: [tag], separator: '\n', at_least_one: true }
    : { type: 'triggered_tags', triggers: ['<tool_call>'], tags: [tag] };
  return { kind: 'structural_tag', tag: { type: 'structural_tag', format: format_ } };
}

/** The calls in a reply, and the text outside them; no calls when none parse as calls to `tools`. */
export function parseToolCalls(
  text: string,
  tools: readonly ChatTool[],
  format: ToolCallFormat,
): { calls: ToolCall[]; content: string } {
  const known = new Set(tools.map((t) => t.function.name));
  const calls: ToolCall[] = [];
  const asCall = (json: string): ToolCall | undefined => {
    try {
      const v = JSON.parse(json) as { name?: unknown; arguments?: unknown; parameters?: unknown };
      const args = v.arguments ?? v.parameters;
      if (typeof v.name !== 'string' || !known.has(v.name) || typeof args !== 'object' || args === null)
        return undefined;
      return {
        id: responseId('call'),
        type: 'function',
        function: { name: v.name, arguments: JSON.stringify(args) },
      };
    } catch {
      return undefined;
    }
  };
  if (format === 'json') {
    const call = asCall(text.trim());
    return call ? { calls: [call], content: '' } : { calls: [], content: text };
  }
  const rest = text.replace(/<tool_call>\s*([\s\S]*?)\s*<\/tool_call>/g, (whole, body: string) => {
    const call = asCall(body);
    if (!call) return whole;
    calls.push(call);
    return '';
  });
  return { calls, content: calls.length > 0 ? rest.trim() : text };
}
