// The parameters beam search and DVTS share, resolved and checked in one place: width M (forks
// per surviving beam, or candidate steps per subtree), the number of searched steps, and how a
// path's step scores combine.
import { RuminateError } from '@ruminate/errors';
import { choiceParam, numberParam } from './params.ts';
import type { StepAggregate } from './scoring.ts';

/** Step-score aggregations a search accepts. */
export const AGGREGATES = ['last', 'min', 'prod'] as const;

/** A tree search's parameters, resolved. */
export interface TreeSearchParams {
  /** M: forks per surviving beam (beam) or candidate steps per subtree (DVTS), at most N. */
  width: number;
  /** Reasoning steps searched before finishing to the end. */
  iterations: number;
  /** How a path's step scores combine. */
  aggregate: StepAggregate;
}

/** The parameters with their defaults for N = `samples` (width 4 or N, 40 iterations, `last`). */
export function treeSearchParams(
  params: Readonly<Record<string, unknown>>,
  samples: number,
): TreeSearchParams {
  return {
    width: numberParam(params, 'width', { default: Math.min(4, samples) }),
    iterations: numberParam(params, 'iterations', { default: 40 }),
    aggregate: choiceParam(params, 'aggregate', AGGREGATES, 'last'),
  };
}

/** Every parameter with its effective value, for the plan (width capped at N). */
export function resolveTreeSearchParams(
  params: Readonly<Record<string, unknown>>,
  samples: number,
): Record<string, unknown> {
  const p = treeSearchParams(params, samples);
  return { ...params, ...p, width: Math.min(samples, p.width) };
}

/** Checks the shared parameters (`unit` names what N counts in the message); returns the width. */
export function validateTreeSearchParams(
  params: Readonly<Record<string, unknown>>,
  samples: number,
  unit: string,
): number {
  const width = numberParam(params, 'width', { default: Math.min(4, samples), min: 1, integer: true });
  numberParam(params, 'iterations', { default: 40, min: 1, integer: true });
  choiceParam(params, 'aggregate', AGGREGATES, 'last');
  if (width > samples) {
    throw new RuminateError(
      'invalid-argument',
      `strategy.width (${width}) exceeds the ${unit} (${samples}).`,
      {
        field: 'strategy.width',
      },
    );
  }
  return width;
}
