// A small JSON Schema validator for the subset `response_format` uses in practice (type,
// properties, required, additionalProperties, items, enum, const, minimum/maximum and their
// exclusive forms, minLength/maxLength, pattern, minItems/maxItems, anyOf/oneOf/allOf), and the
// verifier that parses a candidate's JSON and validates it. Keywords follow JSON Schema 2020-12
// (json-schema.org/draft/2020-12/json-schema-validation); unknown keywords are ignored.

import { stripThinking } from './answer.ts';
import type { Verifier } from './types.ts';

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The supported schema subset. */
export interface JsonSchema {
  type?: JsonType | JsonType[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: JsonValue[];
  const?: JsonValue;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/** A JSON type name. */
export type JsonType = 'null' | 'boolean' | 'number' | 'integer' | 'string' | 'array' | 'object';

/** One validation failure: where (a JSON pointer) and what. */
export interface SchemaError {
  /** JSON pointer of the offending value ("" is the root). */
  path: string;
  /** What was wrong. */
  message: string;
}

function typeOf(v: JsonValue): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as 'boolean' | 'string' | 'object';
}

function deepEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i] as JsonValue));
  const ka = Object.keys(a);
  const ob = b as Record<string, JsonValue>;
  return (
    ka.length === Object.keys(ob).length &&
    ka.every(
      (k) => k in ob && deepEqual((a as Record<string, JsonValue>)[k] as JsonValue, ob[k] as JsonValue),
    )
  );
}

/** Validates `value` against `schema`; returns every error found (empty when valid). */
export function validateJson(value: JsonValue, schema: JsonSchema, path = ''): SchemaError[] {
  const errors: SchemaError[] = [];
  const err = (message: string) => errors.push({ path, message });
  const t = typeOf(value);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const ok = types.some((ty) => ty === t || (ty === 'number' && t === 'integer'));
    if (!ok) {
      err(`expected ${types.join(' or ')}, got ${t}`);
      return errors;
    }
  }
  if (schema.enum && !schema.enum.some((e) => deepEqual(e, value)))
    err(`not one of ${JSON.stringify(schema.enum)}`);
  if (schema.const !== undefined && !deepEqual(schema.const, value))
    err(`must equal ${JSON.stringify(schema.const)}`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) err(`must be ≥ ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) err(`must be ≤ ${schema.maximum}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum)
      err(`must be > ${schema.exclusiveMinimum}`);
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum)
      err(`must be < ${schema.exclusiveMaximum}`);
  }
  if (typeof value === 'string') {
    const len = [...value].length;
    if (schema.minLength !== undefined && len < schema.minLength) err(`shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && len > schema.maxLength) err(`longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      err(`does not match /${schema.pattern}/`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      err(`fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      err(`more than ${schema.maxItems} items`);
    if (schema.items) {
      for (let i = 0; i < value.length; i++)
        errors.push(...validateJson(value[i] as JsonValue, schema.items, `${path}/${i}`));
    }
  }
  if (t === 'object') {
    const obj = value as Record<string, JsonValue>;
    for (const k of schema.required ?? []) if (!(k in obj)) err(`missing required property "${k}"`);
    for (const [k, v] of Object.entries(obj)) {
      const p = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const sub = schema.properties?.[k];
      if (sub) errors.push(...validateJson(v, sub, p));
      else if (schema.additionalProperties === false)
        errors.push({ path: p, message: 'property not allowed' });
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validateJson(v, schema.additionalProperties, p));
    }
  }
  for (const sub of schema.allOf ?? []) errors.push(...validateJson(value, sub, path));
  if (schema.anyOf && !schema.anyOf.some((s) => validateJson(value, s, path).length === 0))
    err('matches none of anyOf');
  if (schema.oneOf && schema.oneOf.filter((s) => validateJson(value, s, path).length === 0).length !== 1) {
    err('must match exactly one of oneOf');
  }
  return errors;
}

/** The JSON text in a candidate: reasoning skipped, a ```json fence unwrapped, else the outermost {…} or […]. */
export function extractJson(text: string): string {
  const body = stripThinking(text).trim();
  const fence = /```(?:json)?\s*\n([\s\S]*?)```/.exec(body);
  if (fence?.[1]) return fence[1].trim();
  const start = body.search(/[{[]/);
  if (start < 0) return body;
  const close = body[start] === '{' ? '}' : ']';
  const end = body.lastIndexOf(close);
  return end > start ? body.slice(start, end + 1) : body.slice(start);
}

/** A verifier passing candidates whose JSON parses and satisfies `schema` (score 1 or 0). */
export function jsonSchemaVerifier(schema: JsonSchema): Verifier {
  return {
    name: 'json-schema',
    scale: 'probability',
    verify(input) {
      let value: JsonValue;
      try {
        value = JSON.parse(extractJson(input.text)) as JsonValue;
      } catch (e) {
        return { passed: false, score: 0, reason: `not JSON: ${e instanceof Error ? e.message : String(e)}` };
      }
      const errors = validateJson(value, schema);
      if (errors.length === 0) return { passed: true, score: 1 };
      return {
        passed: false,
        score: 0,
        reason: errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; '),
      };
    },
  };
}

/**
 * The JSON-schema verifier of a request whose schema was enforced while decoding: every candidate
 * that finished is valid by construction, so nothing is re-validated; the verdict says so in the
 * trace. A candidate cut short (max tokens) before its JSON closed still fails.
 */
export function enforcedSchemaVerifier(): Verifier {
  return {
    name: 'json-schema (enforced)',
    scale: 'probability',
    verify(input) {
      try {
        JSON.parse(extractJson(input.text));
        return { passed: true, score: 1, reason: 'schema enforced while decoding; not re-checked' };
      } catch {
        return { passed: false, score: 0, reason: 'ended before its enforced JSON closed (token limit)' };
      }
    },
  };
}
