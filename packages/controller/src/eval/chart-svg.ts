import type { EvalReport } from './run-eval.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * Accuracy (with 95% intervals) against mean generated tokens per problem, log-scaled x, as a
 * self-contained SVG: the accuracy-vs-compute picture of an evaluation.
 */
export function evalChartSvg(report: EvalReport, title: string): string {
  const W = 640;
  const H = 400;
  const pad = { l: 56, r: 24, t: 40, b: 48 };
  const rows = report.rows.filter((r) => r.meanTokens > 0);
  const xs = rows.map((r) => Math.log10(r.meanTokens));
  const x0 = Math.floor(Math.min(...xs, 1));
  const x1 = Math.ceil(Math.max(...xs, 2));
  const px = (t: number) => pad.l + ((Math.log10(t) - x0) / (x1 - x0)) * (W - pad.l - pad.r);
  const py = (a: number) => H - pad.b - a * (H - pad.t - pad.b);
  const grid: string[] = [];
  for (let a = 0; a <= 1.0001; a += 0.2) {
    grid.push(
      `<line x1="${pad.l}" x2="${W - pad.r}" y1="${py(a)}" y2="${py(a)}" stroke="#ddd"/>`,
      `<text x="${pad.l - 8}" y="${py(a) + 4}" text-anchor="end">${Math.round(a * 100)}%</text>`,
    );
  }
  for (let e = x0; e <= x1; e++) {
    grid.push(
      `<line x1="${px(10 ** e)}" x2="${px(10 ** e)}" y1="${pad.t}" y2="${H - pad.b}" stroke="#eee"/>`,
      `<text x="${px(10 ** e)}" y="${H - pad.b + 18}" text-anchor="middle">${10 ** e}</text>`,
    );
  }
  // Points that land on the same spot (e.g. bon@16 = pass@16) get stacked labels; labels near
  // the right edge go to the left of their point.
  const placed: { x: number; y: number }[] = [];
  const points = rows.map((r) => {
    const x = px(r.meanTokens);
    const y = py(r.accuracy);
    const stacked = placed.filter((p) => Math.abs(p.x - x) < 40 && Math.abs(p.y - y) < 12).length;
    placed.push({ x, y });
    const left = x > W - pad.r - 130;
    const colour = r.strategy.startsWith('bon') || r.strategy.startsWith('pass') ? '#b5442b' : '#2b6cb5';
    return [
      `<line x1="${x}" x2="${x}" y1="${py(r.ci[0])}" y2="${py(r.ci[1])}" stroke="${colour}" stroke-width="2"/>`,
      `<circle cx="${x}" cy="${y}" r="5" fill="${colour}"/>`,
      `<text x="${left ? x - 8 : x + 8}" y="${y - 8 + 14 * stacked}" text-anchor="${left ? 'end' : 'start'}">${esc(r.strategy)} ${(r.accuracy * 100).toFixed(1)}%</text>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>
${grid.join('\n')}
<text x="${(W + pad.l) / 2}" y="${H - 10}" text-anchor="middle">mean generated tokens per problem (log scale)</text>
<text transform="translate(16 ${(H - pad.b + pad.t) / 2}) rotate(-90)" text-anchor="middle">accuracy (95% interval)</text>
${points.join('\n')}
</svg>
`;
}
