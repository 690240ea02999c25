// The accuracy-vs-compute chart: one line per strategy family over N, every point labelled, the
// legend right of the plot area (never over a point).
import { describe, expect, it } from 'vitest';
import { chartFamilies, type EvalReport, type EvalRow, evalChartSvg } from '../src/index.ts';

const row = (strategy: string, accuracy: number, meanTokens: number): EvalRow => ({
  strategy,
  accuracy,
  ci: [accuracy - 0.05, accuracy + 0.05],
  meanTokens,
  meanMs: 1,
  method: 'run',
});

const report: EvalReport = {
  task: 'mul',
  problems: 100,
  temperature: 0.8,
  pool: 64,
  seed: 1,
  rows: [
    row('greedy', 0.59, 38),
    row('sc@16', 0.69, 587),
    row('sc@4', 0.6, 147),
    row('bon@4', 0.84, 147),
    row('bon@16', 0.955, 587),
    row('qalign@16', 0.79, 384),
    row('batch-optimal@150t', 0.96, 150),
  ],
};

describe('evalChartSvg', () => {
  it('groups rows into families, each line ordered by tokens, labelled by N or budget', () => {
    const f = chartFamilies(report.rows);
    expect(f.map((x) => x.name)).toEqual(['greedy', 'sc', 'bon', 'qalign', 'batch-optimal']);
    expect(f[1]?.points.map((p) => p.label)).toEqual(['4', '16']);
    expect(f[1]?.points.map((p) => p.samples)).toEqual([4, 16]);
    expect(f[4]?.points[0]?.label).toBe('150t');
    expect(f[0]?.points[0]?.label).toBeNull();
  });

  it('draws a polyline per multi-point family, a label per point and the legend outside the plot', () => {
    const svg = evalChartSvg(report, 'mul <test>');
    expect(svg).toContain('mul &lt;test>');
    expect(svg.match(/<polyline/g)).toHaveLength(2); // sc and bon; single points get no line
    expect(svg.match(/<circle cx/g)).toHaveLength(report.rows.length + 5); // points + legend marks
    const plot = /<rect x="(\d+)" y="\d+" width="(\d+)" height="\d+" fill="none"/.exec(svg);
    const right = Number(plot?.[1]) + Number(plot?.[2]);
    const pointXs = [...svg.matchAll(/<circle cx="([\d.]+)" cy="[\d.]+" r="4" fill="[^"]+"><title>/g)].map(
      (m) => Number(m[1]),
    );
    expect(pointXs).toHaveLength(report.rows.length);
    for (const x of pointXs) expect(x).toBeLessThanOrEqual(right);
    const legendXs = [...svg.matchAll(/<g><line x1="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(legendXs).toHaveLength(5);
    for (const x of legendXs) expect(x).toBeGreaterThan(right);
    for (const label of ['>4<', '>16<', '>150t<', '>greedy<']) expect(svg).toContain(label);
    expect(svg).toContain('sc (N = 4, 16)');
  });
});
