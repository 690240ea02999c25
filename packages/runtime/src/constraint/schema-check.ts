// Which JSON Schema keywords the grammar engine enforces, checked before compiling. XGrammar
// silently ignores a keyword it does not implement (`multipleOf`, `uniqueItems`, `not`, …), which
// would let a "guaranteed" output violate the schema; Ruminate refuses such a schema instead,
// naming the keyword and where it is (JSON Pointer, RFC 6901).
import { RuminateError } from '@ruminate/errors';
import type { JsonSchemaObject } from './types.ts';

/** Keywords enforced while decoding. */
const ENFORCED = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'propertyNames',
  'minProperties',
  'maxProperties',
  'unevaluatedProperties',
  'items',
  'prefixItems',
  'unevaluatedItems',
  'minItems',
  'maxItems',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'allOf',
  '$ref',
  '$defs',
  'definitions',
  'pattern',
  'format',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
]);

/** Keywords that only describe (no effect on what is valid). */
const ANNOTATIONS = new Set([
  'title',
  'description',
  'default',
  'examples',
  '$schema',
  '$id',
  '$comment',
  '$anchor',
  'deprecated',
  'readOnly',
  'writeOnly',
  'contentEncoding',
  'contentMediaType',
]);

/** Keywords whose value is a schema, a list of schemas, or a map of schemas. */
const SUBSCHEMA = new Set([
  'additionalProperties',
  'propertyNames',
  'unevaluatedProperties',
  'items',
  'unevaluatedItems',
]);
const SUBSCHEMA_LISTS = new Set(['prefixItems', 'anyOf', 'oneOf', 'allOf']);
const SUBSCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions']);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);

/** Parses (when text) and checks a JSON Schema; returns it as JSON text for the compiler. */
export function checkJsonSchema(schema: JsonSchemaObject | string): string {
  let value: unknown = schema;
  if (typeof schema === 'string') {
    try {
      value = JSON.parse(schema);
    } catch (e) {
      throw new RuminateError(
        'invalid-schema',
        `The JSON Schema is not valid JSON: ${(e as Error).message}.`,
        {
          field: 'schema',
        },
      );
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RuminateError('invalid-schema', 'A JSON Schema must be an object (or its JSON text).', {
      field: 'schema',
    });
  }
  walk(value as JsonSchemaObject, '');
  return JSON.stringify(value);
}

function fail(code: 'invalid-schema' | 'unsupported-schema', at: string, message: string): never {
  throw new RuminateError(code, `JSON Schema at "${at || '/'}": ${message}`, { field: 'schema' });
}

function walk(node: unknown, at: string): void {
  if (typeof node === 'boolean') return;
  if (node === null || typeof node !== 'object' || Array.isArray(node)) {
    fail('invalid-schema', at, 'a schema must be an object or a boolean.');
  }
  for (const [key, value] of Object.entries(node as JsonSchemaObject)) {
    const here = `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (ANNOTATIONS.has(key) || key.startsWith('x-')) continue;
    if (!ENFORCED.has(key)) {
      fail(
        'unsupported-schema',
        here,
        `the keyword "${key}" is not enforced while decoding, so the output could break it. ` +
          'Remove it (and check it afterwards with a verifier), or express it with supported keywords.',
      );
    }
    if (key === 'type') checkType(value, here);
    else if (key === 'allOf' && Array.isArray(value) && value.length > 1) {
      fail(
        'unsupported-schema',
        here,
        '"allOf" with more than one schema is not enforced; merge them into one schema.',
      );
    } else if (SUBSCHEMA.has(key)) walk(value, here);
    else if (SUBSCHEMA_LISTS.has(key)) {
      if (!Array.isArray(value)) fail('invalid-schema', here, `"${key}" must be an array of schemas.`);
      value.forEach((s, i) => {
        walk(s, `${here}/${i}`);
      });
    } else if (SUBSCHEMA_MAPS.has(key)) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        fail('invalid-schema', here, `"${key}" must be an object of schemas.`);
      }
      for (const [name, s] of Object.entries(value)) walk(s, `${here}/${name}`);
    } else if (key === 'required' && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) {
      fail('invalid-schema', here, '"required" must be an array of property names.');
    } else if (key === 'enum' && !(Array.isArray(value) && value.length > 0)) {
      fail('invalid-schema', here, '"enum" must be a non-empty array.');
    } else if (key === 'pattern') checkPattern(value, here);
  }
}

function checkType(value: unknown, at: string): void {
  const types = Array.isArray(value) ? value : [value];
  for (const t of types) {
    if (typeof t !== 'string' || !TYPES.has(t)) {
      fail('invalid-schema', at, `unknown type ${JSON.stringify(t)} (one of ${[...TYPES].join(', ')}).`);
    }
  }
}

function checkPattern(value: unknown, at: string): void {
  if (typeof value !== 'string') fail('invalid-schema', at, '"pattern" must be a string.');
  try {
    new RegExp(value, 'u');
  } catch (e) {
    fail('invalid-schema', at, `"pattern" is not a valid regular expression: ${(e as Error).message}.`);
  }
}
