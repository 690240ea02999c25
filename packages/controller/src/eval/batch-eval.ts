// `ruminate eval --budget T`: the compute-optimal batch (`client.batch`) against a uniform split of
// the same total, T tokens per problem on average, over a task's problems. Both pick each
// problem's answer the same way (the task's verifier: its best passing sample), so the rows differ
// only in where the tokens went.

import type { RuminateClient } from '../api/create-engine.ts';
import type { AllocationPolicy } from '../batch/allocation.ts';
import type { EvalProblem, EvalTask } from '../tasks/types.ts';
import type { Verifier } from '../verifiers/types.ts';
import { wilson } from './estimators.ts';
import type { EvalRow } from './run-eval.ts';

/** Options of `runBatchEval`. */
export interface BatchEvalOptions {
  /** The controller engine with the task's model loaded. */
  engine: RuminateClient;
  task: EvalTask;
  problems: readonly EvalProblem[];
  /** Mean generated tokens per problem; the batch's budget is this × the problems. */
  tokensPerProblem: number;
  /** The batch's judge instead of the task's checker. */
  verifier?: Verifier;
  /** Sampling temperature (default 0.8). */
  temperature?: number;
  /** Seed (default 1). */
  seed?: number;
  signal?: AbortSignal;
}

/** One row per allocation policy, `batch-optimal@<T>t` and `batch-uniform@<T>t`: accuracy and mean tokens. */
export async function runBatchEval(o: BatchEvalOptions): Promise<EvalRow[]> {
  const rows: EvalRow[] = [];
  for (const [policy, name] of [
    ['compute-optimal', 'batch-optimal'],
    ['uniform', 'batch-uniform'],
  ] as [AllocationPolicy, string][]) {
    const started = performance.now();
    const r = await o.engine.batch(
      o.problems.map((p) => p.prompt),
      {
        budget: { tokens: Math.round(o.tokensPerProblem * o.problems.length) },
        allocation: policy,
        verifier: o.verifier ?? o.task.verifier(),
        answer: o.task.answer,
        maxTokens: o.task.maxTokens,
        temperature: o.temperature ?? 0.8,
        seed: o.seed ?? 1,
      },
      o.signal ? { signal: o.signal } : undefined,
    );
    const correct = r.items.filter((it, i) => o.task.extract(it.text ?? '') === o.problems[i]?.answer).length;
    const n = o.problems.length;
    rows.push({
      strategy: `${name}@${o.tokensPerProblem}t`,
      accuracy: correct / n,
      ci: wilson(correct, n),
      meanTokens: r.tokens / n,
      meanMs: (performance.now() - started) / n,
      method: 'batch',
    });
  }
  return rows;
}
