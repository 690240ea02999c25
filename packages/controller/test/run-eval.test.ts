// runEval on the scripted engine: pooled and live rows, an imperfect verifier in place of the
// task's checker (best-of-N then runs for real), and the batch rows of a budget.
import { describe, expect, it } from 'vitest';
import { createEngine, type EvalTask, runEval, ScriptedEngine, type Verifier } from '../src/index.ts';
import { answerModel } from './scripted-models.ts';

const checker: Verifier = {
  name: 'says-8',
  scale: 'probability',
  verify: (input) => ({ passed: input.text.includes('8'), score: input.text.includes('8') ? 1 : 0 }),
};
/** An imperfect reward: prefers 7, the wrong answer. */
const fooled: Verifier = {
  name: 'likes-7',
  scale: 'probability',
  verify: (input) => ({ passed: input.text.includes('7'), score: input.text.includes('7') ? 0.9 : 0.1 }),
};
const task: EvalTask = {
  name: 'toy',
  description: 'answers 8',
  maxTokens: 8,
  stepDelimiter: '\n\n',
  answer: { mode: 'last-number' },
  extract: (text) => /(\d+)\s*$/.exec(text)?.[1] ?? null,
  verifier: () => checker,
  stepScorer: () => checker,
};
const problems = [1, 2, 3, 4].map((id) => ({ id, prompt: 'Q:', answer: '8' }));

describe('runEval', () => {
  it('derives sc/bon from the pool under the checker; an imperfect verifier runs bon for real and misleads it', async () => {
    const engine = await createEngine({ engine: new ScriptedEngine(answerModel({ '7': 0.6, '8': 0.4 })) });
    const base = { engine, task, problems, strategies: ['sc@8', 'bon@8', 'qalign@8'], seed: 3 };
    const checked = await runEval({ ...base, budgetsPerProblem: [20] });
    const row = (r: typeof checked, s: string) => r.rows.find((x) => x.strategy === s);
    expect(row(checked, 'bon@8')?.method).toBe('pool');
    expect(row(checked, 'bon@8')?.accuracy).toBeGreaterThan(0.9);
    expect(row(checked, 'qalign@8')?.method).toBe('run');
    expect(checked.rows.map((r) => r.strategy)).toContain('batch-optimal@20t');
    expect(checked.rows.find((r) => r.strategy === 'batch-uniform@20t')?.method).toBe('batch');
    const misled = await runEval({ ...base, verifier: fooled });
    expect(row(misled, 'bon@8')?.method).toBe('run');
    expect(row(misled, 'sc@8')?.method).toBe('pool');
    expect(row(misled, 'bon@8')?.accuracy).toBe(0);
  });
});
