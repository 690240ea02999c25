// Merges `ruminate eval --offset O --limit N --json` runs over consecutive slices of a held-out
// set into one report, as if one run had covered them all: accuracy, tokens and ms are per-problem
// sums (pooled rows hold unbiased per-problem estimates, which add up the same way), the 95%
// interval is recomputed on the union. Writes <task>.json and <task>.svg like the eval command.
// Why slices: on a shared 2-core machine a long eval is best run in pieces that each finish and
// write their result, so a stopped run loses at most one piece.
//
// Usage: pnpm exec tsx tools/trainer/merge-eval.ts --out docs/eval OFFSET:FILE [OFFSET:FILE …]

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { evalChartSvg } from '../../packages/controller/src/eval/chart-svg.ts';
import { wilson } from '../../packages/controller/src/eval/estimators.ts';
import type { EvalReport, EvalRow } from '../../packages/controller/src/eval/run-eval.ts';

/** One slice as the eval command writes it. */
interface Slice extends EvalReport {
  model: string;
  date: string;
  wallMs: number;
}

const { values, positionals } = parseArgs({
  options: { out: { type: 'string', default: 'docs/eval' }, note: { type: 'string' } },
  allowPositionals: true,
});
const slices = positionals
  .map((arg) => {
    const at = arg.indexOf(':');
    return {
      offset: Number(arg.slice(0, at)),
      report: JSON.parse(readFileSync(arg.slice(at + 1), 'utf8')) as Slice,
    };
  })
  .sort((a, b) => a.offset - b.offset);
const first = slices[0];
if (!first) throw new Error('give at least one OFFSET:FILE');
let next = first.offset;
for (const s of slices) {
  if (s.offset !== next)
    throw new Error(`slices are not consecutive: expected offset ${next}, got ${s.offset}`);
  for (const k of ['task', 'temperature', 'pool', 'seed', 'model'] as const) {
    if (s.report[k] !== first.report[k]) throw new Error(`slice at ${s.offset} differs in ${k}`);
  }
  const names = s.report.rows.map((r) => r.strategy).join(',');
  if (names !== first.report.rows.map((r) => r.strategy).join(','))
    throw new Error(`slice at ${s.offset} ran other strategies (${names})`);
  next += s.report.problems;
}
const n = next - first.offset;
const rows = first.report.rows.map((row): EvalRow => {
  const sum = (f: (r: EvalRow) => number) =>
    slices.reduce((acc, s) => {
      const r = s.report.rows.find((x) => x.strategy === row.strategy) as EvalRow;
      return acc + f(r) * s.report.problems;
    }, 0);
  const correct = sum((r) => r.accuracy);
  return {
    strategy: row.strategy,
    accuracy: correct / n,
    ci: wilson(correct, n),
    meanTokens: sum((r) => r.meanTokens) / n,
    meanMs: sum((r) => r.meanMs) / n,
    method: row.method,
  };
});
const report: EvalReport = {
  task: first.report.task,
  problems: n,
  temperature: first.report.temperature,
  pool: first.report.pool,
  seed: first.report.seed,
  rows,
};
const merged = {
  ...report,
  offset: first.offset,
  model: first.report.model,
  date: slices.map((s) => s.report.date).sort()[slices.length - 1],
  wallMs: slices.reduce((acc, s) => acc + s.report.wallMs, 0),
  slices: slices.map((s) => ({
    offset: s.offset,
    problems: s.report.problems,
    date: s.report.date,
    wallMs: s.report.wallMs,
  })),
  ...(values.note ? { note: values.note } : {}),
};
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, `${report.task}.json`), `${JSON.stringify(merged, null, 1)}\n`);
writeFileSync(
  join(values.out, `${report.task}.svg`),
  evalChartSvg(report, `${report.task}: accuracy vs test-time compute (${n} held-out problems)`),
);
console.log(
  `merged ${slices.length} slices, ${n} problems → ${join(values.out, `${report.task}.json`)} and .svg`,
);
