// `ruminate eval`: per strategy, accuracy with its 95% interval, mean generated tokens and wall
// time on a task's held-out problems. Sampled strategies at k ≤ pool (`sc@k`, `bon@k`, `pass@k`)
// are derived from one pool of samples per problem; adaptive and search strategies (`asc`, `pf`,
// `deepconf`, `beam`, `dvts`, `qalign`) and `greedy` run for real through the OpenAI-shaped API;
// with a budget per problem, `client.batch` runs once compute-optimal and once uniform (batch-eval.ts).

import type { RuminateClient } from '../api/create-engine.ts';
import { createRng } from '../generator/seeds.ts';
import { parseStrategy } from '../strategies/registry.ts';
import type { EvalProblem, EvalTask } from '../tasks/types.ts';
import type { Verifier } from '../verifiers/types.ts';
import { type BatchEvalOptions, runBatchEval } from './batch-eval.ts';
import { majority, passAtK, subsetMean, wilson } from './estimators.ts';

/** One strategy's result. */
export interface EvalRow {
  /** Strategy as asked (`sc@16`). */
  strategy: string;
  /** Fraction of problems answered correctly. */
  accuracy: number;
  /** 95% Wilson interval of the accuracy. */
  ci: [number, number];
  /** Mean generated tokens per problem (all candidates). */
  meanTokens: number;
  /** Mean wall ms per problem. */
  meanMs: number;
  /** `run`: run as asked; `pool`: derived from the per-problem sample pool; `batch`: one shared budget over all problems. */
  method: 'run' | 'pool' | 'batch';
}

/** A whole evaluation. */
export interface EvalReport {
  task: string;
  problems: number;
  temperature: number;
  pool: number;
  seed: number;
  rows: EvalRow[];
}

/** Options of `runEval`. */
export interface EvalOptions {
  /** The controller engine (createEngine) with the task's model loaded. */
  engine: RuminateClient;
  task: EvalTask;
  problems: readonly EvalProblem[];
  /** Strategy specs (`greedy`, `sc@4`, `bon@16`, `pass@16`, `asc`, `pf@16`, …). */
  strategies: readonly string[];
  /** Sampling temperature for sampled strategies (default 0.8). */
  temperature?: number;
  /** Seed (default 1). */
  seed?: number;
  /** The verifier of every strategy instead of the task's checker (an imperfect one, say); best-of-N then runs for real. */
  verifier?: Verifier;
  /** Mean tokens per problem of each batch budget (rows `batch-optimal@<T>t`, `batch-uniform@<T>t`). */
  budgetsPerProblem?: readonly number[];
  /** Called after each problem. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

interface Sample {
  answer: string | null;
  passed: boolean;
  tokens: number;
}

const POOLED = /^(sc|self-consistency|bon|best-of-n|pass)@(\d+)$/;
/** Pooled specs that need no verifier: with a verifier other than the task's, best-of-N runs for real. */
const POOLED_UNVERIFIED = /^(sc|self-consistency|pass)@(\d+)$/;

/** Runs the evaluation. */
export async function runEval(o: EvalOptions): Promise<EvalReport> {
  const temperature = o.temperature ?? 0.8;
  const seed = o.seed ?? 1;
  // A verifier that reads log-probabilities cannot judge the pool (its trace keeps tokens and text).
  const isPooled = (s: string) => (o.verifier ? POOLED_UNVERIFIED : POOLED).test(s);
  const pooled = o.strategies.filter(isPooled);
  const pool = Math.max(0, ...pooled.map((s) => Number(POOLED.exec(s)?.[2])));
  const live = o.strategies.filter((s) => !isPooled(s));
  for (const s of live) parseStrategy(s); // typed error for an unknown name, before any work
  const verifier = o.verifier ?? o.task.verifier();
  const scores = new Map<string, { correct: number; tokens: number; ms: number }>();
  const add = (key: string, correct: number, tokens: number, ms: number) => {
    const s = scores.get(key) ?? { correct: 0, tokens: 0, ms: 0 };
    scores.set(key, { correct: s.correct + correct, tokens: s.tokens + tokens, ms: s.ms + ms });
  };
  const rand = createRng(seed);
  for (const [i, problem] of o.problems.entries()) {
    const common = {
      prompt: problem.prompt,
      max_tokens: o.task.maxTokens,
      seed: seed * 100_003 + problem.id,
      step_delimiter: o.task.stepDelimiter,
      verifier,
      step_scorer: o.task.stepScorer(),
      answer: o.task.answer,
    };
    const call = o.signal ? { signal: o.signal } : undefined;
    for (const strategy of live) {
      const started = performance.now();
      const r = await o.engine.completions.create(
        { ...common, strategy, temperature: strategy === 'greedy' ? 0 : temperature },
        call,
      );
      const text = r.choices[0]?.text ?? '';
      add(
        strategy,
        o.task.extract(text) === problem.answer ? 1 : 0,
        r.usage.completion_tokens,
        performance.now() - started,
      );
    }
    if (pool > 0) {
      const started = performance.now();
      const r = await o.engine.completions.create(
        { ...common, strategy: `sample@${pool}`, n: pool, temperature },
        call,
      );
      const ms = performance.now() - started;
      const samples: Sample[] = await Promise.all(
        r.ruminate.trace.map(async (c) => {
          const v = await verifier.verify(
            {
              prompt: problem.prompt,
              text: c.text,
              steps: [],
              tokens: c.tokens,
              logprobs: [],
              selfCertainty: [],
              finished: true,
            },
            new AbortController().signal,
          );
          return { answer: o.task.extract(c.text), passed: v.passed, tokens: c.tokens.length };
        }),
      );
      const correctCount = samples.filter((s) => s.answer === problem.answer).length;
      for (const spec of pooled) {
        const [, name, kText] = POOLED.exec(spec) as RegExpExecArray;
        const k = Number(kText);
        const tokens = subsetMean(samples, k, (sub) => sub.reduce((n, s) => n + s.tokens, 0), rand);
        let acc: number;
        if (name === 'pass') acc = passAtK(samples.length, correctCount, k);
        else if (name === 'sc' || name === 'self-consistency')
          acc = subsetMean(
            samples,
            k,
            (sub) => (majority(sub.map((s) => s.answer)) === problem.answer ? 1 : 0),
            rand,
          );
        else
          acc = subsetMean(
            samples,
            k,
            (sub) => ((sub.find((s) => s.passed) ?? sub[0])?.answer === problem.answer ? 1 : 0),
            rand,
          );
        add(spec, acc, tokens, (ms * k) / pool);
      }
    }
    o.onProgress?.(i + 1, o.problems.length);
  }
  const n = o.problems.length;
  const rows = o.strategies.map((strategy): EvalRow => {
    const s = scores.get(strategy) ?? { correct: 0, tokens: 0, ms: 0 };
    return {
      strategy,
      accuracy: s.correct / n,
      ci: wilson(s.correct, n),
      meanTokens: s.tokens / n,
      meanMs: s.ms / n,
      method: isPooled(strategy) ? 'pool' : 'run',
    };
  });
  for (const tokensPerProblem of o.budgetsPerProblem ?? []) {
    const batch: BatchEvalOptions = {
      engine: o.engine,
      task: o.task,
      problems: o.problems,
      tokensPerProblem,
      temperature,
      seed,
    };
    if (o.verifier) batch.verifier = o.verifier;
    if (o.signal) batch.signal = o.signal;
    rows.push(...(await runBatchEval(batch)));
  }
  return { task: o.task.name, problems: n, temperature, pool, seed, rows };
}
