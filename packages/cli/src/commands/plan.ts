import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import {
  cachedDecodeSpeed,
  fileSpeedCache,
  type Plan,
  planFor,
  type RunRequest,
  type SpeedCache,
  throughputAt,
} from '@ruminate/controller';
import { RuminateError } from '@ruminate/errors';
import type { Engine } from '@ruminate/runtime';
import { BACKEND_OPTIONS, BACKEND_USAGE, backendOptions } from '../backend-option.ts';
import type { Command } from '../command.ts';
import { log, out, table } from '../log.ts';

/** What `ruminate plan` needs from outside: an engine factory (the runtime's `createNodeEngine`) and a speed cache. */
export interface PlanDeps {
  /** Makes an engine (no model loaded yet); default: `createNodeEngine` from @ruminate/runtime. */
  createEngine?: () => Engine | Promise<Engine>;
  /** Where decode speeds are cached (default: ~/.cache/ruminate/decode-speed.json). */
  speedCache?: SpeedCache;
}

const USAGE = `ruminate plan --model PATH (--latency-ms MS | --tokens N) [options]

  Plans test-time compute for this device: measures decode speed at 1, 4 and 16 parallel
  sequences once per model (cached in ~/.cache/ruminate/decode-speed.json) and picks N, batch
  width, max tokens and strategy parameters that fit the budget and the free KV memory.

  --model PATH        GGUF file
  --latency-ms MS     wall-clock budget
  --tokens N          generated-token budget (all candidates)
  --strategy S        strategy name[@N] (default: sc)
  --n N               most samples to consider (the @N)
  --max-tokens N      per-candidate token limit (default 512; lowered to fit)
  --prompt TEXT       prompt to plan for (its length counts; default a short question)
  --json              print the plan as one JSON object (strategy, n, maxTokens, expectedMs, …)
${BACKEND_USAGE}`;

async function runtimeEngine(): Promise<Engine> {
  const { RuminateEngine } = await import('@ruminate/runtime');
  return new RuminateEngine();
}

/** Parses the arguments, loads the model, measures (or reads) its speed and plans. */
export async function planCommandResult(
  argv: string[],
  deps: PlanDeps = {},
): Promise<{ plan: Plan; json: boolean; speedTable: string }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      'latency-ms': { type: 'string' },
      tokens: { type: 'string' },
      strategy: { type: 'string' },
      n: { type: 'string' },
      'max-tokens': { type: 'string' },
      prompt: { type: 'string' },
      json: { type: 'boolean' },
      ...BACKEND_OPTIONS,
    },
  });
  const num = (v: string | undefined, field: string): number | undefined => {
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isFinite(x))
      throw new RuminateError('invalid-argument', `--${field} must be a number (got "${v}").`, { field });
    return x;
  };
  if (!values.model)
    throw new RuminateError('invalid-argument', `--model PATH is required.\n\n${USAGE}`, { field: 'model' });
  const latencyMs = num(values['latency-ms'], 'latency-ms');
  const tokens = num(values.tokens, 'tokens');
  if (latencyMs === undefined && tokens === undefined) {
    throw new RuminateError('invalid-argument', `Give a budget: --latency-ms MS or --tokens N.\n\n${USAGE}`, {
      field: 'budget',
    });
  }
  const engine = await (deps.createEngine ?? runtimeEngine)();
  await engine.load({ path: values.model }, backendOptions(values));
  const cache = deps.speedCache ?? fileSpeedCache();
  const device = hostname(); // the speed cache key adds the backend (speedCacheKey)
  log('measuring decode speed at 1, 4, 16 sequences (cached per model and device)…');
  const speed = await cachedDecodeSpeed(engine, { cache, device });
  const req: RunRequest = {
    prompt: values.prompt ?? 'Question: what is 17 × 24? Think step by step.',
    strategy: values.strategy ?? 'sc',
    budget: {
      ...(latencyMs !== undefined ? { latencyMs } : {}),
      ...(tokens !== undefined ? { tokens } : {}),
    },
  };
  const samples = num(values.n, 'n');
  if (samples !== undefined) req.samples = samples;
  const maxTokens = num(values['max-tokens'], 'max-tokens');
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  const plan = await planFor(engine, req, { speed });
  const speedTable = table(
    ['sequences', 'tok/s (all)', 'tok/s (each)'],
    speed.points.map((p) => [
      p.width,
      p.tokensPerSecond.toFixed(1),
      (throughputAt(speed, p.width) / p.width).toFixed(1),
    ]),
  );
  await engine.unload();
  return { plan, json: values.json === true, speedTable };
}

/** Runs `ruminate plan` with the given dependencies (tests pass a scripted engine). */
export async function runPlanCommand(argv: string[], deps: PlanDeps = {}): Promise<number> {
  const { plan, json, speedTable } = await planCommandResult(argv, deps);
  if (json) {
    out(JSON.stringify(plan));
    return 0;
  }
  out(speedTable);
  out('');
  out(
    table(
      ['strategy', 'n', 'batch', 'maxTokens', 'expectedMs', 'expectedTokens'],
      [[plan.strategy, plan.n, plan.batchWidth, plan.maxTokens, plan.expectedMs ?? '?', plan.expectedTokens]],
    ),
  );
  for (const note of plan.notes) out(`- ${note}`);
  return 0;
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'Plan test-time compute (N, batch, max tokens) for a latency or token budget on this device',
  usage: USAGE,
  run: (argv) => runPlanCommand(argv),
};
