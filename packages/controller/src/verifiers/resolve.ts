// Verifier specs as callers write them (a name, a small object, or a Verifier) → a Verifier.

import { RuminateError } from '@ruminate/errors';
import type { AnswerOptions } from './answer.ts';
import { exactMatch } from './exact-match.ts';
import { javascriptTests } from './javascript-tests.ts';
import { type JsonSchema, jsonSchemaVerifier } from './json-schema.ts';
import { meanLogprob, selfCertainty } from './model-confidence.ts';
import type { Verifier } from './types.ts';

/** A verifier as a request may name it. */
export type VerifierSpec =
  | Verifier
  | 'self-certainty'
  | 'mean-logprob'
  | ({ exact: string | string[] } & AnswerOptions)
  | { jsonSchema: JsonSchema }
  | { tests: string[]; timeoutMs?: number; memoryMb?: number };

/** Resolves a spec; throws `invalid-argument` naming `field` when it is not one. */
export function resolveVerifier(spec: VerifierSpec, field: string): Verifier {
  if (spec === 'self-certainty') return selfCertainty();
  if (spec === 'mean-logprob') return meanLogprob();
  if (typeof spec === 'object' && spec !== null) {
    if ('verify' in spec && typeof spec.verify === 'function') return spec;
    if ('exact' in spec) {
      const { exact, ...opts } = spec;
      return exactMatch(exact, opts);
    }
    if ('jsonSchema' in spec) return jsonSchemaVerifier(spec.jsonSchema);
    if ('tests' in spec && Array.isArray(spec.tests)) {
      const o: Parameters<typeof javascriptTests>[0] = { tests: spec.tests };
      if (spec.timeoutMs !== undefined) o.timeoutMs = spec.timeoutMs;
      if (spec.memoryMb !== undefined) o.memoryMb = spec.memoryMb;
      return javascriptTests(o);
    }
  }
  throw new RuminateError(
    'invalid-argument',
    `${field} must be "self-certainty", "mean-logprob", { exact }, { jsonSchema }, { tests } or a Verifier object.`,
    { field },
  );
}
