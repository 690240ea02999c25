// The one strategy registry for the API, the CLI and evaluations (ARCHITECTURE.md): names, aliases,
// and the `name[@samples]` parser.

import { RuminateError } from '@ruminate/errors';
import { adaptiveSelfConsistency } from './adaptive-sc.ts';
import { beamSearch } from './beam-search.ts';
import { bestOfN } from './best-of-n.ts';
import { deepConf } from './deepconf.ts';
import { dvts } from './dvts.ts';
import { greedy } from './greedy.ts';
import { particleFilter } from './particle-filter.ts';
import { qalign } from './qalign.ts';
import { sample } from './sample.ts';
import { selfConsistency } from './self-consistency.ts';
import type { StrategyDefinition, StrategySpec } from './types.ts';
import { weightedSelfConsistency } from './weighted-sc.ts';

const registry = new Map<string, StrategyDefinition>();

/** Adds a strategy under its name and aliases (later registrations replace earlier ones). */
export function registerStrategy(def: StrategyDefinition): void {
  for (const key of [def.name, ...def.aliases]) registry.set(key.toLowerCase(), def);
}

for (const def of [
  greedy,
  sample,
  bestOfN,
  selfConsistency,
  weightedSelfConsistency,
  adaptiveSelfConsistency,
  deepConf,
  beamSearch,
  dvts,
  particleFilter,
  qalign,
]) {
  registerStrategy(def);
}

/** Every registered strategy, once each, in registration order. */
export function listStrategies(): StrategyDefinition[] {
  return [...new Set(registry.values())];
}

/** The strategy registered under `name` (or an alias), or undefined. */
export function getStrategy(name: string): StrategyDefinition | undefined {
  return registry.get(name.toLowerCase());
}

/** A strategy spec resolved against the registry. */
export interface ResolvedStrategy {
  /** The module. */
  definition: StrategyDefinition;
  /** Samples given by the caller (`@N` or `samples`), or undefined for the default. */
  samples: number | undefined;
  /** Strategy-specific parameters. */
  params: Record<string, unknown>;
}

/** Parses `name[@samples]` or `{ name, samples, ...params }`; throws `unknown-strategy` / `invalid-argument` naming the field. */
export function parseStrategy(spec: StrategySpec): ResolvedStrategy {
  let name: string;
  let samples: unknown;
  let params: Record<string, unknown> = {};
  if (typeof spec === 'string') {
    const m = /^\s*([A-Za-z][\w-]*)\s*(?:@\s*(\S+))?\s*$/.exec(spec);
    if (!m) {
      throw new RuminateError(
        'unknown-strategy',
        `"${spec}" is not a strategy; write name[@samples], e.g. "sc@16".`,
        { field: 'strategy' },
      );
    }
    name = m[1] as string;
    samples = m[2] === undefined ? undefined : Number(m[2]);
  } else if (typeof spec === 'object' && spec !== null && typeof spec.name === 'string') {
    const { name: n, samples: s, ...rest } = spec;
    name = n;
    samples = s;
    params = rest;
  } else {
    throw new RuminateError(
      'invalid-argument',
      'strategy must be a string such as "sc@16" or an object with a name.',
      { field: 'strategy' },
    );
  }
  const definition = getStrategy(name);
  if (!definition) {
    const known = listStrategies()
      .map((d) => d.name)
      .join(', ');
    throw new RuminateError(
      'unknown-strategy',
      `Unknown strategy "${name}"; known: ${known} (and their long names).`,
      {
        field: 'strategy',
      },
    );
  }
  if (samples !== undefined && (typeof samples !== 'number' || !Number.isInteger(samples) || samples < 1)) {
    throw new RuminateError(
      'invalid-argument',
      `strategy samples must be a positive integer (got ${String(samples)}).`,
      {
        field: 'strategy.samples',
      },
    );
  }
  return { definition, samples: samples as number | undefined, params };
}
