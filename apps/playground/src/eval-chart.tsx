// Accuracy against compute from evaluation results (docs/eval/*.json, read at build time), drawn by
// the same chart as docs/eval/*.svg (`evalChartSvg`: one line per strategy family over N, labelled
// points, the legend outside the plot), with a data table for screen readers.
// Accepted shapes: `ruminate eval`'s { task, rows: [{ strategy, accuracy, ci, meanTokens }] },
// { task?, points|results: [{ strategy, samples|n?, tokens|generatedTokens|meanTokens, accuracy|acc }] }
// and { task?, strategies: { "sc@4": { accuracy, mean_tokens } } } (entries without tokens are left out).
import { type EvalReport, type EvalRow, evalChartSvg } from '@ruminate/controller';

/** One results file as chart rows. */
export interface EvalSeries {
  /** The file's name (without .json). */
  file: string;
  /** The task evaluated. */
  task: string;
  /** Problems evaluated, when the file says. */
  problems: number | null;
  /** One row per strategy. */
  rows: EvalRow[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function row(
  strategy: string,
  samples: number | null,
  tokens: number,
  accuracy: number,
  ci?: unknown,
): EvalRow {
  const named = samples !== null && !strategy.includes('@') ? `${strategy}@${samples}` : strategy;
  const interval =
    Array.isArray(ci) && ci.length === 2 && ci.every((x) => num(x) !== null)
      ? (ci as [number, number])
      : ([accuracy, accuracy] as [number, number]);
  return { strategy: named, accuracy, ci: interval, meanTokens: tokens, meanMs: 0, method: 'run' };
}

/** Reads one results file into rows (unknown shapes give none). */
export function parseEval(file: string, data: unknown): EvalSeries {
  const d = (data ?? {}) as Record<string, unknown>;
  const list = (
    Array.isArray(d.rows)
      ? d.rows
      : Array.isArray(d.points)
        ? d.points
        : Array.isArray(d.results)
          ? d.results
          : []
  ) as Record<string, unknown>[];
  const rows: EvalRow[] = [];
  if (d.strategies && typeof d.strategies === 'object') {
    for (const [key, v] of Object.entries(d.strategies as Record<string, Record<string, unknown>>)) {
      const tokens = num(v.mean_tokens) ?? num(v.tokens);
      const accuracy = num(v.accuracy);
      if (tokens !== null && accuracy !== null) rows.push(row(key, null, tokens, accuracy, v.ci));
    }
  }
  for (const r of list) {
    const tokens = num(r.meanTokens) ?? num(r.tokens) ?? num(r.generatedTokens);
    let accuracy = num(r.accuracy) ?? num(r.acc);
    if (tokens === null || accuracy === null || typeof r.strategy !== 'string') continue;
    if (accuracy > 1) accuracy /= 100;
    rows.push(row(r.strategy, num(r.samples) ?? num(r.n), tokens, accuracy, r.ci));
  }
  return { file, task: typeof d.task === 'string' ? d.task : file, problems: num(d.problems), rows };
}

const files = import.meta.glob('../../../docs/eval/*.json', { eager: true, import: 'default' });
/** The series found at build time. */
export const evalSeries: EvalSeries[] = Object.entries(files)
  .map(([path, data]) =>
    parseEval(
      path
        .split('/')
        .pop()
        ?.replace(/\.json$/, '') ?? path,
      data,
    ),
  )
  .filter((s) => s.rows.some((r) => r.meanTokens > 0));

/** The chart of each results file, with a data table for screen readers. */
export function EvalChart(props: { series: EvalSeries[] }) {
  if (props.series.length === 0) {
    return (
      <section className="panel" aria-labelledby="eval-h">
        <h2 id="eval-h">Accuracy vs compute</h2>
        <p>
          No evaluation results yet: run <code>pnpm run ruminate eval</code> to write docs/eval/*.json, then
          rebuild.
        </p>
      </section>
    );
  }
  return (
    <section className="panel" aria-labelledby="eval-h">
      <h2 id="eval-h">Accuracy vs compute</h2>
      {props.series.map((s) => {
        const report: EvalReport = {
          task: s.task,
          problems: s.problems ?? 0,
          temperature: 0,
          pool: 0,
          seed: 0,
          rows: s.rows,
        };
        const title = `${s.file}${s.problems ? ` (${s.problems} problems)` : ''}`;
        return (
          <figure key={s.file}>
            <div
              className="chart"
              role="img"
              aria-label={`Accuracy against generated tokens for ${s.file}`}
              // The SVG is built from numbers and escaped strategy names by evalChartSvg.
              // biome-ignore lint/security/noDangerouslySetInnerHtml: generated, escaped SVG
              dangerouslySetInnerHTML={{ __html: evalChartSvg(report, title) }}
            />
            <figcaption>{title}</figcaption>
            <details>
              <summary>Data</summary>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Strategy</th>
                    <th scope="col">Tokens</th>
                    <th scope="col">Accuracy</th>
                    <th scope="col">95% interval</th>
                  </tr>
                </thead>
                <tbody>
                  {s.rows.map((r) => (
                    <tr key={r.strategy}>
                      <td>{r.strategy}</td>
                      <td>{Math.round(r.meanTokens)}</td>
                      <td>{(r.accuracy * 100).toFixed(1)}%</td>
                      <td>
                        {(r.ci[0] * 100).toFixed(1)}–{(r.ci[1] * 100).toFixed(1)}%
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </figure>
        );
      })}
    </section>
  );
}
