import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createEngine,
  type EvalProblem,
  type EvalReport,
  evalChartSvg,
  getTask,
  meanLogprob,
  runEval,
  selfCertainty,
  type Verifier,
} from '@ruminate/controller';
import { RuminateError } from '@ruminate/errors';
import { RuminateEngine } from '@ruminate/runtime';
import { BACKEND_OPTIONS, BACKEND_USAGE, backendOptions } from '../backend-option.ts';
import type { Command } from '../command.ts';
import { log, out, table } from '../log.ts';

const usage = [
  'ruminate eval --model PATH --task TASK [--strategies LIST] [--problems FILE] [--limit N] [--offset N]',
  '              [--temperature T] [--seed S] [--budget T[,T…]] [--out DIR] [--json] [--backend auto|webgpu|wasm] [--threads N]',
  '',
  '  --task TASK         a registered task (mul: the bundled model’s)',
  '  --strategies LIST   default greedy,sc@4,sc@16,bon@16,pass@16,asc,pf@16; sc@k, bon@k and pass@k',
  '                      are derived from one pool of samples per problem (unbiased estimators)',
  '  --problems FILE     held-out set, JSONL of {id, prompt, answer} (default models/<task>-eval.jsonl)',
  '  --limit N           evaluate the first N problems (after --offset)',
  '  --verifier NAME     mean-logprob or self-certainty instead of the task’s checker, for every strategy',
  '                      (an imperfect reward; bon@k then runs for real instead of from the pool)',
  '  --budget T[,T…]     also run client.batch over all problems with T tokens per problem on average,',
  '                      compute-optimal (rows batch-optimal@Tt) and split evenly (batch-uniform@Tt)',
  '  --out DIR           where <task>.json and <task>.svg go (default docs/eval)',
  BACKEND_USAGE,
].join('\n');

/** The verifier `--verifier` names; throws `invalid-argument` on `verifier` for any other name. */
function verifierNamed(name: string): Verifier {
  if (name === 'mean-logprob') return meanLogprob();
  if (name === 'self-certainty') return selfCertainty();
  throw new RuminateError(
    'invalid-argument',
    `--verifier must be mean-logprob or self-certainty (got ${name}).`,
    {
      field: 'verifier',
    },
  );
}

/** Reads a JSONL problem set. */
export function readProblems(file: string): EvalProblem[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EvalProblem);
}

/** The eval table as text. */
export function evalTable(report: EvalReport): string {
  return table(
    ['strategy', 'accuracy', '95% CI', 'tokens/problem', 'ms/problem', 'how'],
    report.rows.map((r) => [
      r.strategy,
      `${(r.accuracy * 100).toFixed(1)}%`,
      `${(r.ci[0] * 100).toFixed(1)}–${(r.ci[1] * 100).toFixed(1)}`,
      r.meanTokens.toFixed(1),
      r.meanMs.toFixed(0),
      r.method === 'pool'
        ? `from a pool of ${report.pool}`
        : r.method === 'batch'
          ? 'one budget for all'
          : 'run',
    ]),
  );
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'Accuracy per test-time strategy on a task’s held-out set (writes docs/eval/<task>.json and .svg)',
  usage,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        task: { type: 'string' },
        strategies: { type: 'string', default: 'greedy,sc@4,sc@16,bon@16,pass@16,asc,pf@16' },
        problems: { type: 'string' },
        limit: { type: 'string' },
        offset: { type: 'string', default: '0' },
        temperature: { type: 'string', default: '0.8' },
        seed: { type: 'string', default: '1' },
        budget: { type: 'string' },
        verifier: { type: 'string' },
        out: { type: 'string', default: 'docs/eval' },
        json: { type: 'boolean' },
        ...BACKEND_OPTIONS,
      },
    });
    if (!values.model || !values.task) {
      log(`ruminate eval: --model and --task are required\n\n${usage}`);
      return 2;
    }
    const task = getTask(values.task);
    const offset = Number(values.offset);
    const all = readProblems(values.problems ?? join('models', `${task.name}-eval.jsonl`));
    const problems = all.slice(offset, values.limit ? offset + Number(values.limit) : undefined);
    if (problems.length === 0)
      throw new RuminateError('invalid-argument', 'No problems selected.', { field: 'limit' });
    const strategies = values.strategies
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const budgets = values.budget === undefined ? [] : values.budget.split(',').map(Number);
    if (budgets.some((b) => !(b > 0)))
      throw new RuminateError(
        'invalid-argument',
        '--budget must be positive numbers of tokens per problem.',
        {
          field: 'budget',
        },
      );
    const engine = await createEngine({
      engine: new RuminateEngine({ maxSequences: 64, ...backendOptions(values) }),
      model: { path: values.model },
    });
    log(`eval ${task.name}: ${problems.length} problems × ${strategies.join(', ')}`);
    const started = performance.now();
    const report = await runEval({
      engine,
      task,
      problems,
      strategies,
      temperature: Number(values.temperature),
      seed: Number(values.seed),
      budgetsPerProblem: budgets,
      ...(values.verifier === undefined ? {} : { verifier: verifierNamed(values.verifier) }),
      onProgress: (done, total) => {
        if (done % 10 === 0 || done === total) {
          log(`  ${done}/${total} problems, ${((performance.now() - started) / 1000).toFixed(0)} s`);
        }
      },
    });
    const result = {
      ...report,
      model: values.model,
      date: new Date().toISOString(),
      wallMs: performance.now() - started,
    };
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, `${task.name}.json`), `${JSON.stringify(result, null, 1)}\n`);
    writeFileSync(
      join(values.out, `${task.name}.svg`),
      evalChartSvg(
        report,
        `${task.name}: accuracy vs test-time compute (${problems.length} held-out problems)`,
      ),
    );
    log(`wrote ${join(values.out, `${task.name}.json`)} and .svg`);
    out(values.json ? JSON.stringify(result) : evalTable(report));
    return 0;
  },
};
