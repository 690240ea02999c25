// Typed reading of strategy parameters, with errors that name the offending field.

import { RuminateError } from '@ruminate/errors';

/** Reads a numeric parameter, checking range and integrality. */
export function numberParam(
  params: Readonly<Record<string, unknown>>,
  key: string,
  opts: { default: number; min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean },
): number {
  const v = params[key];
  if (v === undefined) return opts.default;
  const bad = (why: string) =>
    new RuminateError('invalid-argument', `strategy.${key} ${why} (got ${JSON.stringify(v)}).`, {
      field: `strategy.${key}`,
    });
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('must be a finite number');
  if (opts.integer && !Number.isInteger(v)) throw bad('must be an integer');
  if (opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min)) {
    throw bad(`must be ${opts.exclusiveMin ? '>' : '≥'} ${opts.min}`);
  }
  if (opts.max !== undefined && v > opts.max) throw bad(`must be ≤ ${opts.max}`);
  return v;
}

/** Reads an enumerated string parameter. */
export function choiceParam<T extends string>(
  params: Readonly<Record<string, unknown>>,
  key: string,
  choices: readonly T[],
  fallback: T,
): T {
  const v = params[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !choices.includes(v as T)) {
    throw new RuminateError(
      'invalid-argument',
      `strategy.${key} must be one of ${choices.join(', ')} (got ${JSON.stringify(v)}).`,
      {
        field: `strategy.${key}`,
      },
    );
  }
  return v as T;
}

/** Reads a boolean parameter. */
export function booleanParam(
  params: Readonly<Record<string, unknown>>,
  key: string,
  fallback: boolean,
): boolean {
  const v = params[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') {
    throw new RuminateError(
      'invalid-argument',
      `strategy.${key} must be true or false (got ${JSON.stringify(v)}).`,
      {
        field: `strategy.${key}`,
      },
    );
  }
  return v;
}

/** Throws `invalid-argument` on `n` when more choices are asked for than the `samples` drawn. */
export function checkChoicesWithinSamples(samples: number, n: number): void {
  if (n > samples)
    throw new RuminateError('invalid-argument', `n (${n}) exceeds the samples drawn (${samples}).`, {
      field: 'n',
    });
}
