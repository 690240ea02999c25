// The accuracy-vs-compute chart of an evaluation, as a self-contained SVG (docs/eval/*.svg and the
// playground draw the same one): one line per strategy family (`sc`, `bon`, `qalign`, …) over its
// sample counts, each point labelled with its N (a batch's with its budget per problem, `150t`),
// 95% intervals as whiskers, the legend outside the plot area, log-scaled tokens on x.

import type { EvalReport, EvalRow } from './run-eval.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** Colour per family, in order of first appearance; checker-guided families are warm, voting cool. */
const PALETTE = ['#1f5fbf', '#b5471b', '#2c7a3a', '#7a3a9a', '#8a6d00', '#00707a', '#c02f6b', '#555555'];

/** One point of a family's line. */
export interface ChartPoint {
  /** The row's strategy as asked (`sc@16`). */
  strategy: string;
  /** Its N, or null for a strategy without one (`greedy`, `asc`). */
  samples: number | null;
  /** What follows `@` (`16`; `150t` for a batch's tokens per problem), or null. */
  label: string | null;
  /** Mean generated tokens per problem. */
  tokens: number;
  /** Accuracy in [0, 1]. */
  accuracy: number;
  /** 95% interval. */
  ci: [number, number];
}

/** A strategy family and its points, fewest tokens first. */
export interface ChartFamily {
  /** The family's name: the strategy before `@`. */
  name: string;
  /** Its points. */
  points: ChartPoint[];
}

/** Groups rows into families (`sc@4` and `sc@16` are one line), in order of first appearance. */
export function chartFamilies(rows: readonly EvalRow[]): ChartFamily[] {
  const families = new Map<string, ChartPoint[]>();
  for (const r of rows) {
    if (!(r.meanTokens > 0)) continue;
    const at = r.strategy.lastIndexOf('@');
    const name = at > 0 ? r.strategy.slice(0, at) : r.strategy;
    const n = at > 0 ? Number(r.strategy.slice(at + 1)) : Number.NaN;
    const list = families.get(name) ?? [];
    list.push({
      strategy: r.strategy,
      samples: Number.isFinite(n) ? n : null,
      label: at > 0 ? r.strategy.slice(at + 1) : null,
      tokens: r.meanTokens,
      accuracy: r.accuracy,
      ci: r.ci,
    });
    families.set(name, list);
  }
  return [...families].map(([name, points]) => ({
    name,
    points: points.sort((a, b) => a.tokens - b.tokens),
  }));
}

/** A family's legend entry: its name and its points' labels (`sc (N = 4, 16)`). */
function legendLabel(f: ChartFamily): string {
  const labels = f.points.flatMap((p) => (p.label === null ? [] : [p.label]));
  const numeric = labels.every((l) => /^\d+$/.test(l));
  const list = labels.length === 0 ? '' : ` (${numeric ? 'N = ' : ''}${labels.join(', ')})`;
  return `${f.name}${list}${f.name === 'pass' ? ', oracle' : ''}`;
}

/** The chart of `report` as an SVG document; see the file comment. */
export function evalChartSvg(report: EvalReport, title: string): string {
  const H = 420;
  const plot = { l: 56, r: 560, t: 44, b: H - 48 };
  const families = chartFamilies(report.rows);
  const legendText = families.map(legendLabel);
  // The legend sits right of the plot; the picture is as wide as its longest entry needs.
  const W = plot.r + 56 + Math.max(120, ...legendText.map((t) => t.length * 7));
  const all = families.flatMap((f) => f.points);
  const xs = all.map((p) => Math.log10(p.tokens));
  const x0 = Math.floor(Math.min(...xs, 1));
  const x1 = Math.ceil(Math.max(...xs, 2));
  const px = (t: number) => plot.l + ((Math.log10(t) - x0) / (x1 - x0)) * (plot.r - plot.l);
  const py = (a: number) => plot.b - a * (plot.b - plot.t);
  const f1 = (v: number) => v.toFixed(1);
  const grid: string[] = [];
  for (let a = 0; a <= 1.0001; a += 0.2) {
    grid.push(
      `<line x1="${plot.l}" x2="${plot.r}" y1="${f1(py(a))}" y2="${f1(py(a))}" stroke="#ddd"/>`,
      `<text x="${plot.l - 8}" y="${f1(py(a) + 4)}" text-anchor="end">${Math.round(a * 100)}%</text>`,
    );
  }
  for (let e = x0; e <= x1; e++) {
    for (const m of e < x1 ? [2, 5] : []) {
      const x = f1(px(m * 10 ** e));
      grid.push(`<line x1="${x}" x2="${x}" y1="${plot.t}" y2="${plot.b}" stroke="#f2f2f2"/>`);
    }
    const x = f1(px(10 ** e));
    grid.push(
      `<line x1="${x}" x2="${x}" y1="${plot.t}" y2="${plot.b}" stroke="#e4e4e4"/>`,
      `<text x="${x}" y="${plot.b + 18}" text-anchor="middle">${10 ** e}</text>`,
    );
  }
  // Point labels go above their point, or below when a label is already there.
  const taken: { x: number; y: number }[] = [];
  const labelY = (x: number, y: number) => {
    for (const dy of [-9, 15, -21, 27]) {
      if (!taken.some((t) => Math.abs(t.x - x) < 24 && Math.abs(t.y - (y + dy)) < 11)) {
        taken.push({ x, y: y + dy });
        return y + dy;
      }
    }
    taken.push({ x, y: y - 9 });
    return y - 9;
  };
  const lines = families.map((f, i) => {
    const colour = PALETTE[i % PALETTE.length] as string;
    const pts = f.points.map((p) => ({ p, x: px(p.tokens), y: py(p.accuracy) }));
    const path = pts.map(({ x, y }) => `${f1(x)},${f1(y)}`).join(' ');
    const marks = pts.map(({ p, x, y }) => {
      const label = p.label ?? f.name;
      return [
        `<line x1="${f1(x)}" x2="${f1(x)}" y1="${f1(py(p.ci[0]))}" y2="${f1(py(p.ci[1]))}" stroke="${colour}" stroke-opacity="0.45" stroke-width="2"/>`,
        `<circle cx="${f1(x)}" cy="${f1(y)}" r="4" fill="${colour}"><title>${esc(p.strategy)}: ${(p.accuracy * 100).toFixed(1)}% at ${Math.round(p.tokens)} tokens</title></circle>`,
        `<text x="${f1(x + 5)}" y="${f1(labelY(x, y))}" font-size="10" fill="${colour}">${esc(label)}</text>`,
      ].join('');
    });
    // pass@k is an oracle (any correct sample counts), not a strategy: dashed.
    const dash = f.name === 'pass' ? ' stroke-dasharray="5 4"' : '';
    const line =
      pts.length > 1
        ? `<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${path}"/>`
        : '';
    return `<g data-family="${esc(f.name)}">${line}${marks.join('')}</g>`;
  });
  const legend = families.map((f, i) => {
    const colour = PALETTE[i % PALETTE.length] as string;
    const y = plot.t + 8 + i * 20;
    const dash = f.name === 'pass' ? ' stroke-dasharray="5 4"' : '';
    return `<g><line x1="${plot.r + 20}" x2="${plot.r + 40}" y1="${y}" y2="${y}" stroke="${colour}" stroke-width="2"${dash}/><circle cx="${plot.r + 30}" cy="${y}" r="4" fill="${colour}"/><text x="${plot.r + 48}" y="${y + 4}">${esc(legendText[i] as string)}</text></g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>
${grid.join('\n')}
<rect x="${plot.l}" y="${plot.t}" width="${plot.r - plot.l}" height="${plot.b - plot.t}" fill="none" stroke="#999"/>
<text x="${(plot.l + plot.r) / 2}" y="${H - 12}" text-anchor="middle">mean generated tokens per problem (log scale); labels: N, or a batch's tokens per problem (t)</text>
<text transform="translate(16 ${(plot.b + plot.t) / 2}) rotate(-90)" text-anchor="middle">accuracy (95% interval)</text>
${lines.join('\n')}
<text x="${plot.r + 20}" y="${plot.t - 8}" font-weight="600">strategy family</text>
${legend.join('\n')}
</svg>
`;
}
