// The budget planner: picks N (samples), batch width, max tokens and strategy parameters so a
// request fits the caller's latency or token budget and the free KV memory. Following
// ARCHITECTURE.md ("Budget"): decode throughput grows with parallel sequences up to a knee; N is
// capped by what the KV pool holds at this length; the time of N samples is predicted from the
// measured (or estimated) throughput at the width they run at.

import { RuminateError } from '@ruminate/errors';
import type { MemoryReport } from '@ruminate/runtime';
import type { ResolvedStrategy } from '../strategies/registry.ts';
import type { StrategyDefinition } from '../strategies/types.ts';
import { kneeWidth, throughputAt } from './throughput.ts';
import type { Budget, DecodeSpeed, Plan } from './types.ts';

/** Default per-candidate token limit when the request gives none. */
export const DEFAULT_MAX_TOKENS = 512;
/** Fewest tokens that can still hold an answer; a budget below it cannot produce one. */
export const MIN_ANSWER_TOKENS = 8;
/** Largest N the planner picks on its own. */
export const MAX_PLANNED_SAMPLES = 64;

/** What the planner is given. */
export interface PlanInput {
  /** The strategy (samples given explicitly are an upper bound under a budget). */
  strategy: ResolvedStrategy;
  /** Choices wanted (OpenAI `n`). */
  choices: number;
  /** The request's max_tokens, if given. */
  maxTokens?: number | undefined;
  /** Prompt length in tokens. */
  promptTokens: number;
  /** The budget, if any. */
  budget?: Budget | undefined;
  /** Decode speed (measured or estimated). */
  speed?: DecodeSpeed | undefined;
  /** The engine's memory report. */
  memory?: MemoryReport | undefined;
  /** The run's seed. */
  seed: number;
}

const TREE_STRATEGIES = new Set(['beam', 'dvts', 'pf']);

/** Predicted ms to decode `samples` candidates of `maxTokens` tokens, `width` at a time (plus prefill). */
export function predictMs(
  speed: DecodeSpeed,
  samples: number,
  width: number,
  maxTokens: number,
  promptTokens: number,
): number {
  let ms = speed.prefillTokensPerSecond ? (promptTokens * 1000) / speed.prefillTokensPerSecond : 0;
  for (let left = samples; left > 0; left -= width) {
    const w = Math.min(width, left);
    ms += (maxTokens * w * 1000) / throughputAt(speed, w);
  }
  return ms;
}

/** Most sequences of `maxTokens` new tokens the free KV pages hold, the prompt stored once. */
export function memorySequences(memory: MemoryReport, promptTokens: number, maxTokens: number): number {
  const freeTokens = memory.pagesFree * memory.pageTokens;
  // Each sequence may also copy the prompt's last, shared, partial page.
  const perSeq = maxTokens + memory.pageTokens;
  return Math.max(0, Math.floor((freeTokens - promptTokens) / perSeq));
}

function tooSmall(field: string, message: string): RuminateError {
  return new RuminateError('budget-too-small', message, { field });
}

/** Plans a request; throws `budget-too-small` (naming the budget field) when no answer fits. */
export function planRequest(input: PlanInput): Plan {
  const def = input.strategy.definition;
  const notes: string[] = [];
  const budget = input.budget;
  const tree = TREE_STRATEGIES.has(def.name);
  const singleSample = def.name === 'greedy';
  let maxTokens = input.maxTokens ?? DEFAULT_MAX_TOKENS;
  const wanted = input.strategy.samples;
  let samples =
    wanted ?? (budget && !singleSample && def.name !== 'sample' ? MAX_PLANNED_SAMPLES : def.defaultSamples);
  if (def.name === 'sample') samples = Math.max(samples, input.choices);
  const floorSamples = singleSample ? 1 : Math.max(1, input.choices);

  let memSeqs: number | null = null;
  if (input.memory) {
    memSeqs = memorySequences(input.memory, input.promptTokens, maxTokens);
    if (memSeqs < 1) {
      throw tooSmall(
        'max_tokens',
        `The free KV memory holds no sequence of ${maxTokens} tokens; lower max_tokens or free sequences.`,
      );
    }
  }
  const knee = input.speed ? kneeWidth(input.speed) : null;
  // Independent samples decode in waves at the knee: wider batches buy little throughput there
  // and cost KV memory. Tree searches keep all N live (they fork from each other).
  const waveWidth = knee ?? 16;
  const widthFor = (s: number) => Math.max(1, Math.min(s, tree ? s : waveWidth, memSeqs ?? s));

  if (budget?.tokens !== undefined) {
    if (budget.tokens < MIN_ANSWER_TOKENS) {
      throw tooSmall(
        'budget.tokens',
        `A budget of ${budget.tokens} tokens cannot produce an answer; allow at least ${MIN_ANSWER_TOKENS}.`,
      );
    }
    if (budget.tokens < maxTokens * floorSamples) {
      maxTokens = Math.floor(budget.tokens / floorSamples);
      notes.push(`max_tokens lowered to ${maxTokens} to fit ${budget.tokens} tokens`);
      if (maxTokens < MIN_ANSWER_TOKENS) {
        throw tooSmall(
          'budget.tokens',
          `${budget.tokens} tokens cannot give ${floorSamples} choices of at least ${MIN_ANSWER_TOKENS} tokens.`,
        );
      }
    }
    const fit = Math.floor(budget.tokens / maxTokens);
    if (def.anytime) notes.push(`anytime: runs until N = ${samples} or ${budget.tokens} tokens are spent`);
    else if (fit < samples) notes.push(`N lowered from ${samples} to ${fit} to fit ${budget.tokens} tokens`);
    if (!def.anytime) samples = Math.max(floorSamples, Math.min(samples, fit));
  }

  if (budget?.latencyMs !== undefined && def.anytime) {
    notes.push(`anytime: runs until N = ${samples} or ${budget.latencyMs} ms have passed`);
  } else if (budget?.latencyMs !== undefined) {
    if (!input.speed) {
      throw new RuminateError(
        'invalid-argument',
        'A latency budget needs a decode-speed measurement or a device profile.',
        {
          field: 'budget.latencyMs',
        },
      );
    }
    const speed = input.speed;
    const fits = (s: number, m: number) =>
      predictMs(speed, s, widthFor(s), m, input.promptTokens) <= (budget.latencyMs as number);
    if (!fits(floorSamples, maxTokens)) {
      // Shrink the answer length until the fewest candidates fit.
      let lo = 0;
      let hi = maxTokens;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (fits(floorSamples, mid)) lo = mid;
        else hi = mid - 1;
      }
      if (lo < MIN_ANSWER_TOKENS) {
        const need = Math.ceil(
          predictMs(speed, floorSamples, widthFor(floorSamples), MIN_ANSWER_TOKENS, input.promptTokens),
        );
        throw tooSmall(
          'budget.latencyMs',
          `${budget.latencyMs} ms cannot produce an answer on this device (about ${need} ms needed for ${MIN_ANSWER_TOKENS} tokens).`,
        );
      }
      notes.push(`max_tokens lowered from ${maxTokens} to ${lo} to fit ${budget.latencyMs} ms`);
      maxTokens = lo;
      samples = floorSamples;
    } else {
      let best = floorSamples;
      for (let s = floorSamples + 1; s <= samples; s++) if (fits(s, maxTokens)) best = s;
      if (best < samples) notes.push(`N lowered from ${samples} to ${best} to fit ${budget.latencyMs} ms`);
      samples = best;
    }
  }

  if (memSeqs !== null && tree && samples > memSeqs) {
    if (wanted !== undefined && !budget) {
      throw tooSmall(
        'strategy.samples',
        `${samples} live sequences of ${maxTokens} tokens do not fit the free KV memory (${memSeqs} do).`,
      );
    }
    notes.push(`N capped at ${memSeqs} by free KV memory`);
    samples = Math.max(floorSamples, memSeqs);
  }
  const params = adjustParams(def, input.strategy.params, samples, maxTokens, notes);
  const own = def.decodeWidth?.(params, samples);
  const batchWidth = own === undefined ? widthFor(samples) : Math.min(own, widthFor(samples));
  if (own !== undefined) notes.push(`decoded ${batchWidth} at a time (the strategy's own width)`);
  else if (batchWidth < samples && !tree)
    notes.push(`decoded in waves of ${batchWidth} (throughput knee or KV memory)`);

  const expectedMs = input.speed
    ? Math.round(predictMs(input.speed, samples, batchWidth, maxTokens, input.promptTokens))
    : null;
  return {
    strategy: def.name,
    n: samples,
    choices: input.choices,
    batchWidth,
    maxTokens,
    expectedMs,
    expectedTokens: samples * maxTokens,
    params,
    seed: input.seed,
    knee,
    memorySequences: memSeqs,
    budget: budget ?? null,
    speedSource: input.speed?.source ?? 'none',
    notes,
  };
}

/** Every strategy parameter at its effective value for the planned N (noting what the plan changed). */
function adjustParams(
  def: StrategyDefinition,
  given: Record<string, unknown>,
  samples: number,
  maxTokens: number,
  notes: string[],
): Record<string, unknown> {
  const params = def.resolveParams ? def.resolveParams(given, samples, maxTokens) : { ...given };
  for (const key of Object.keys(given)) {
    if (params[key] !== given[key])
      notes.push(`${key} lowered from ${String(given[key])} to ${String(params[key])} to fit N = ${samples}`);
  }
  return params;
}
