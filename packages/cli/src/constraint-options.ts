// The structured-output options of `generate`: --json-schema FILE, --json-object, --grammar FILE
// and --regex PATTERN. They become the API's request fields (response_format, grammar, regex),
// read by the controller's constraintOf, so the CLI and the API accept exactly the same shapes.
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { type CommonRequest, constraintOf, type RequestConstraint } from '@ruminate/controller';
import { RuminateError } from '@ruminate/errors';

/** parseArgs option specs of the structured-output options. */
export const CONSTRAINT_OPTIONS = {
  'json-schema': { type: 'string' },
  'json-object': { type: 'boolean', default: false },
  grammar: { type: 'string' },
  regex: { type: 'string' },
} as const;

/** Usage lines of the structured-output options. */
export const CONSTRAINT_USAGE = [
  '  --json-schema FILE  enforce a JSON Schema (a .json file) while decoding: the output is JSON valid',
  '                    under it (the API’s response_format json_schema, strict)',
  '  --json-object     enforce JSON mode: the output is one JSON object (response_format json_object)',
  '  --grammar FILE    enforce a GBNF/EBNF grammar file (llama.cpp’s GBNF as written; start rule root)',
  '  --regex PATTERN   enforce a regular expression on the whole output',
  '                    (give at most one of these four; each works with --strategy)',
].join('\n');

/** The structured-output options as parsed. */
export interface ConstraintValues {
  'json-schema'?: string;
  'json-object'?: boolean;
  grammar?: string;
  regex?: string;
}

/** Reads a file named by an option, or throws invalid-argument naming the option and the file. */
function readOptionFile(path: string, flag: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const why = (e as { code?: string }).code ?? (e as Error).message;
    throw new RuminateError(
      'invalid-argument',
      `--${flag}: cannot read "${path}" (${why}); give the path of ${what}.`,
      { field: flag, cause: e },
    );
  }
}

/** The JSON Schema in a --json-schema file, or invalid-schema naming the flag and what is wrong. */
function readSchemaFile(path: string): Record<string, unknown> {
  const text = readOptionFile(path, 'json-schema', 'a JSON Schema file');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RuminateError(
      'invalid-schema',
      `--json-schema: "${path}" is not JSON (${(e as Error).message}); write the schema as a JSON object.`,
      { field: 'json-schema', cause: e },
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new RuminateError(
      'invalid-schema',
      `--json-schema: "${path}" holds ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}, not a JSON Schema object like {"type": "object", …}.`,
      { field: 'json-schema' },
    );
  }
  return value as Record<string, unknown>;
}

/** The API request fields the options ask for (files read here; typed errors name the flag). */
export function constraintFields(
  values: ConstraintValues,
): Pick<CommonRequest, 'response_format' | 'grammar' | 'regex'> {
  const given = [
    values['json-schema'] !== undefined && '--json-schema',
    values['json-object'] === true && '--json-object',
    values.grammar !== undefined && '--grammar',
    values.regex !== undefined && '--regex',
  ].filter((f): f is string => typeof f === 'string');
  if (given.length > 1) {
    throw new RuminateError(
      'invalid-argument',
      `${given.join(' and ')} each constrain the whole output; give at most one of them.`,
      { field: (given[1] as string).slice(2) },
    );
  }
  const path = values['json-schema'];
  if (path !== undefined) {
    const schema = readSchemaFile(path);
    const name = basename(path, extname(path)).replace(/[^A-Za-z0-9_-]/g, '_') || 'schema';
    return { response_format: { type: 'json_schema', json_schema: { name, schema, strict: true } } };
  }
  if (values['json-object']) return { response_format: { type: 'json_object' } };
  if (values.grammar !== undefined) {
    const grammar = readOptionFile(values.grammar, 'grammar', 'a GBNF/EBNF grammar file');
    if (grammar.trim() === '') {
      throw new RuminateError(
        'invalid-grammar',
        `--grammar: "${values.grammar}" is empty; write rules such as root ::= "yes" | "no".`,
        { field: 'grammar' },
      );
    }
    return { grammar };
  }
  if (values.regex !== undefined) {
    if (values.regex === '') {
      throw new RuminateError('invalid-argument', '--regex is empty; give a pattern such as [0-9]+.', {
        field: 'regex',
      });
    }
    return { regex: values.regex };
  }
  return {};
}

/** The constraint (and implied JSON Schema) the options ask for, or undefined for free output. */
export function constraintOptions(values: ConstraintValues): RequestConstraint | undefined {
  return constraintOf(constraintFields(values));
}
