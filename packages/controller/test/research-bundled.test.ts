// QAlign and the compute-optimal batch end to end on the bundled model (models/mul-q8_0.gguf) on
// the WebAssembly backend: the first 30 held-out problems (greedy 22, qalign@16 26 here), the
// task's checking verifier as QAlign's reward and the batch's judge. Seeds are fixed, so the
// comparisons are the same on every run; the full evaluation is `ruminate eval … --budget 150`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuminateEngine } from '@ruminate/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type EvalProblem, getTask, type RuminateClient } from '../src/index.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const problems = readFileSync(join(root, 'models/mul-eval.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .slice(0, 30)
  .map((l) => JSON.parse(l) as EvalProblem);
const task = getTask('mul');

let client: RuminateClient;
beforeAll(async () => {
  client = await createEngine({
    engine: new RuminateEngine({ backend: 'wasm', maxSequences: 32 }),
    model: { path: join(root, 'models/mul-q8_0.gguf') },
    load: { threads: 1 },
    measure: false,
  });
});
afterAll(() => client.unload());

const common = {
  max_tokens: task.maxTokens,
  step_delimiter: task.stepDelimiter,
  verifier: task.verifier(),
  answer: task.answer,
};

describe('the bundled model', () => {
  it('QAlign with the checking verifier answers more problems than greedy, its chains moving toward checked work', async () => {
    let greedy = 0;
    let qalign = 0;
    let accepted = 0;
    let passedStart = 0;
    let passedEnd = 0;
    for (const p of problems) {
      const g = await client.completions.create({
        ...common,
        prompt: p.prompt,
        strategy: 'greedy',
        temperature: 0,
      });
      if (task.extract(g.choices[0]?.text ?? '') === p.answer) greedy++;
      const q = await client.completions.create({
        ...common,
        prompt: p.prompt,
        strategy: { name: 'qalign', samples: 16, chains: 4 },
        temperature: 0.8,
        seed: p.id,
      });
      if (task.extract(q.choices[0]?.text ?? '') === p.answer) qalign++;
      accepted += q.ruminate.stats.accepted ?? 0;
      const trace = q.ruminate.trace;
      passedStart += trace.filter((c) => c.parent === null && c.passed).length;
      // The chains' last states: each chain's start, or its latest accepted proposal.
      const states = trace.filter((c) => c.parent === null || c.events.some((e) => e.type === 'accepted'));
      const chainOf = (id: number): number => {
        const c = trace.find((x) => x.id === id);
        return c?.parent == null ? id : chainOf(c.parent);
      };
      const last = new Map<number, (typeof states)[number]>();
      for (const s of states) last.set(chainOf(s.id), s);
      passedEnd += [...last.values()].filter((s) => s.passed).length;
    }
    expect(accepted).toBeGreaterThan(0);
    expect(passedEnd).toBeGreaterThan(passedStart);
    expect(qalign).toBeGreaterThan(greedy);
  });

  it('client.batch: the compute-optimal split answers at least as many as a uniform split of the same budget', async () => {
    const prompts = problems.map((p) => p.prompt);
    const opts = {
      budget: { tokens: 75 * problems.length },
      verifier: task.verifier(),
      answer: task.answer,
      maxTokens: task.maxTokens,
      seed: 7,
    };
    const opt = await client.batch(prompts, opts);
    const uni = await client.batch(prompts, { ...opts, allocation: 'uniform' });
    const correct = (r: typeof opt) =>
      r.items.filter((x, i) => task.extract(x.text ?? '') === problems[i]?.answer).length;
    expect(correct(opt)).toBeGreaterThanOrEqual(correct(uni));
    for (const r of [opt, uni]) expect(r.tokens).toBeLessThanOrEqual(opts.budget.tokens + 4 * task.maxTokens);
    // Problems whose probe found checked work draw nothing more.
    for (const x of opt.items) if (x.probeDifficulty === 0) expect(x.samples).toBe(2);
  });
});
