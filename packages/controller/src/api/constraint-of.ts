// A request's output constraint: OpenAI's `response_format` (`json_object`, and `json_schema`
// with `{ name, schema, strict }`), the forms WebLLM accepts (`{ type: 'json_object', schema }`
// with the schema as JSON text, `{ type: 'grammar', grammar }`), and Ruminate's `grammar`
// (GBNF/EBNF) and `regex` fields. At most one may be given; tools add their own (tools.ts).
import { RuminateError } from '@ruminate/errors';
import type { Constraint } from '@ruminate/runtime';
import type { JsonSchema } from '../verifiers/json-schema.ts';
import type { CommonRequest } from './types.ts';

/** What a request constrains its output to, and the JSON Schema it implies (for verifiers), if any. */
export interface RequestConstraint {
  /** The constraint the engine enforces. */
  constraint: Constraint;
  /** The JSON Schema the output satisfies by construction, when it is JSON. */
  schema?: JsonSchema;
}

function bad(field: string, message: string): RuminateError {
  return new RuminateError('invalid-argument', `${field} ${message}`, { field });
}

function parseSchemaText(text: string, field: string): JsonSchema {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as JsonSchema;
  } catch {
    // reported below
  }
  throw new RuminateError('invalid-schema', `${field} is not a JSON Schema object in JSON text.`, { field });
}

/** The constraint of `response_format`, `grammar` and `regex` (undefined when the output is free). */
export function constraintOf(r: CommonRequest): RequestConstraint | undefined {
  const found: RequestConstraint[] = [];
  const format = r.response_format as
    | (CommonRequest['response_format'] & { schema?: unknown; grammar?: unknown })
    | undefined;
  if (format !== undefined) {
    if (format === null || typeof format !== 'object') throw bad('response_format', 'must be an object.');
    switch (format.type) {
      case 'text':
        break;
      case 'json_object': {
        // WebLLM spells a schema-constrained JSON mode as json_object + schema (JSON text).
        const s = format.schema;
        if (s === undefined) found.push({ constraint: { kind: 'json_object' }, schema: { type: 'object' } });
        else {
          const schema =
            typeof s === 'string' ? parseSchemaText(s, 'response_format.schema') : (s as JsonSchema);
          found.push({
            constraint: { kind: 'json_schema', schema: schema as Record<string, unknown> },
            schema,
          });
        }
        break;
      }
      case 'json_schema': {
        const js = format.json_schema;
        if (!js || typeof js !== 'object')
          throw bad('response_format.json_schema', 'must be { name, schema, strict }.');
        const schema =
          typeof js.schema === 'string'
            ? parseSchemaText(js.schema, 'response_format.json_schema.schema')
            : js.schema;
        if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
          throw bad('response_format.json_schema.schema', 'must be a JSON Schema object.');
        }
        found.push({
          constraint: { kind: 'json_schema', schema: schema as Record<string, unknown> },
          schema,
        });
        break;
      }
      case 'grammar':
        if (typeof format.grammar !== 'string')
          throw bad('response_format.grammar', 'must be a GBNF/EBNF string.');
        found.push({ constraint: { kind: 'grammar', grammar: format.grammar } });
        break;
      default:
        throw bad('response_format.type', 'must be text, json_object, json_schema or grammar.');
    }
  }
  if (r.grammar !== undefined) {
    if (typeof r.grammar !== 'string') throw bad('grammar', 'must be a GBNF/EBNF string.');
    found.push({ constraint: { kind: 'grammar', grammar: r.grammar } });
  }
  if (r.regex !== undefined) {
    if (typeof r.regex !== 'string') throw bad('regex', 'must be a regular expression string.');
    found.push({ constraint: { kind: 'regex', pattern: r.regex } });
  }
  if (found.length > 1)
    throw bad('response_format', 'grammar and regex are exclusive: give at most one of them.');
  return found[0];
}
