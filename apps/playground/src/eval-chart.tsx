// Accuracy against compute from `ruminate eval` results (docs/eval/*.json, read at build time).
// Accepted shapes: { task?, points|results: [{ strategy, samples|n?, tokens|generatedTokens|meanTokens, accuracy|acc }] }
// and { task?, strategies: { "sc@4": { accuracy, mean_tokens } } } (entries without tokens, like pass@k, are left out).

/** One point of the chart. */
export interface EvalPoint {
  strategy: string;
  samples: number | null;
  tokens: number;
  accuracy: number;
}

/** One task's results. */
export interface EvalSeries {
  task: string;
  points: EvalPoint[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Reads one results file into points (unknown shapes give no points). */
export function parseEval(name: string, data: unknown): EvalSeries {
  const d = (data ?? {}) as Record<string, unknown>;
  const rows = (Array.isArray(d.points) ? d.points : Array.isArray(d.results) ? d.results : []) as Record<
    string,
    unknown
  >[];
  const points: EvalPoint[] = [];
  if (d.strategies && typeof d.strategies === 'object') {
    for (const [key, v] of Object.entries(d.strategies as Record<string, Record<string, unknown>>)) {
      const tokens = num(v.mean_tokens) ?? num(v.tokens);
      const accuracy = num(v.accuracy);
      if (tokens === null || accuracy === null) continue;
      const [name, n] = key.split('@');
      points.push({ strategy: name ?? key, samples: n ? Number(n) : null, tokens, accuracy });
    }
  }
  for (const r of rows) {
    const tokens = num(r.tokens) ?? num(r.generatedTokens) ?? num(r.meanTokens);
    let accuracy = num(r.accuracy) ?? num(r.acc);
    if (tokens === null || accuracy === null || typeof r.strategy !== 'string') continue;
    if (accuracy > 1) accuracy /= 100;
    points.push({ strategy: r.strategy, samples: num(r.samples) ?? num(r.n), tokens, accuracy });
  }
  return { task: typeof d.task === 'string' ? d.task : name, points };
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
  .filter((s) => s.points.length > 0);

const COLORS = ['#1f5fbf', '#b5471b', '#2c7a3a', '#7a3a9a', '#8a6d00', '#00707a'];

/** A log-x line chart per strategy, with a data table for screen readers. */
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
  const W = 520;
  const H = 260;
  const m = { l: 48, r: 12, t: 12, b: 40 };
  return (
    <section className="panel" aria-labelledby="eval-h">
      <h2 id="eval-h">Accuracy vs compute</h2>
      {props.series.map((s) => {
        const xs = s.points.map((p) => Math.log10(Math.max(1, p.tokens)));
        const x0 = Math.min(...xs);
        const x1 = Math.max(...xs, x0 + 1e-9);
        const xAt = (t: number) =>
          m.l + ((Math.log10(Math.max(1, t)) - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
        const yAt = (a: number) => H - m.b - a * (H - m.t - m.b);
        const strategies = [...new Set(s.points.map((p) => p.strategy))];
        return (
          <figure key={s.task}>
            <svg
              viewBox={`0 0 ${W} ${H}`}
              role="img"
              aria-label={`Accuracy against generated tokens for ${s.task}`}
              className="chart"
            >
              <line x1={m.l} y1={yAt(0)} x2={W - m.r} y2={yAt(0)} stroke="#444" />
              <line x1={m.l} y1={yAt(0)} x2={m.l} y2={yAt(1)} stroke="#444" />
              {[0, 0.25, 0.5, 0.75, 1].map((a) => (
                <text key={a} x={m.l - 6} y={yAt(a) + 4} textAnchor="end" fontSize="11">
                  {Math.round(a * 100)}%
                </text>
              ))}
              {[
                ...new Set([
                  10 ** x0,
                  ...[1, 2, 3, 4].map((k) => 10 ** k).filter((t) => Math.log10(t) > x0 && Math.log10(t) < x1),
                  10 ** x1,
                ]),
              ].map((t) => (
                <text key={t} x={xAt(t)} y={yAt(0) + 14} textAnchor="middle" fontSize="11">
                  {Math.round(t)}
                </text>
              ))}
              <text x={(W + m.l) / 2} y={H - 6} textAnchor="middle" fontSize="12">
                tokens generated per problem (log scale)
              </text>
              {strategies.map((name, i) => {
                const pts = s.points.filter((p) => p.strategy === name).sort((a, b) => a.tokens - b.tokens);
                const color = COLORS[i % COLORS.length];
                return (
                  <g key={name}>
                    <polyline
                      fill="none"
                      stroke={color}
                      strokeWidth={2}
                      points={pts.map((p) => `${xAt(p.tokens)},${yAt(p.accuracy)}`).join(' ')}
                    />
                    {pts.map((p) => (
                      <circle
                        key={`${p.tokens}-${p.samples}`}
                        cx={xAt(p.tokens)}
                        cy={yAt(p.accuracy)}
                        r={3.5}
                        fill={color}
                      />
                    ))}
                    <text x={m.l + 8} y={m.t + 14 + i * 14} fill={color} fontSize="12">
                      {name}
                    </text>
                  </g>
                );
              })}
            </svg>
            <figcaption>{s.task}</figcaption>
            <details>
              <summary>Data</summary>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Strategy</th>
                    <th scope="col">N</th>
                    <th scope="col">Tokens</th>
                    <th scope="col">Accuracy</th>
                  </tr>
                </thead>
                <tbody>
                  {s.points.map((p) => (
                    <tr key={`${p.strategy}-${p.samples}-${p.tokens}`}>
                      <td>{p.strategy}</td>
                      <td>{p.samples ?? '—'}</td>
                      <td>{Math.round(p.tokens)}</td>
                      <td>{(p.accuracy * 100).toFixed(1)}%</td>
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
