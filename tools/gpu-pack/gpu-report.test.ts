// The GPU check's report: each target reads the right number from the right file, says "no"
// below its threshold, and "not measured" where the step's file is missing.
import { describe, expect, it } from 'vitest';
import { type CheckResults, renderReport, targetRows } from './gpu-report.ts';

const decode = (ratio: number, batch: number) => ({
  model: { parameters: 1.1e9, weightType: 'q4_0' },
  rows: [
    { kernels: 'tuned', sequences: 1, sharedPrompt: false, decodeTokS: 100, prefillTokS: 900 },
    { kernels: 'tuned', sequences: 16, sharedPrompt: false, decodeTokS: 100 * batch, prefillTokS: 900 },
  ],
  batch16OverSingle: batch,
  bandwidthLimit: {
    copy: { gbps: 3000 },
    rows: [
      { kernels: 'tuned', sequences: 1, sharedPrompt: false, ratio, limitTokS: 100 / ratio },
      { kernels: 'tuned', sequences: 16, sharedPrompt: false, ratio: ratio * 2, limitTokS: 1000 },
    ],
  },
});

describe('the GPU check report', () => {
  it('marks each target met or not from the results', () => {
    const results: CheckResults = {
      summary: { mode: 'gpu', date: '2026-12-08', seconds: 300, steps: [] },
      kernels: [
        {
          op: 'matmul',
          dtype: 'q4_0',
          shape: { m: 1, k: 2048, n: 2048 },
          pctOfBandwidth: 0.7,
          effectiveGBps: 2000,
        },
        {
          op: 'matmul',
          dtype: 'q8_0',
          shape: { m: 1, k: 2048, n: 2048 },
          pctOfBandwidth: 0.5,
          effectiveGBps: 1500,
        },
        {
          op: 'matmul',
          dtype: 'f32',
          shape: { m: 1, k: 2048, n: 2048 },
          pctOfBandwidth: 0.1,
          effectiveGBps: 300,
        },
      ],
      decode: { '1b': decode(0.55, 7) },
      tune: { '1b': { totalMs: 31_000, decisions: [{ untimed: false }] } },
      testKernels: {
        numPassedTests: 70,
        numFailedTests: 0,
        success: true,
        testResults: [{ status: 'passed' }],
      },
    };
    const rows = targetRows(results);
    expect(rows.map((r) => r.met)).toEqual([false, true, true, false, true]);
    expect(rows[0]?.measured).toBe('q4_0 2048×2048: 70%, q8_0 2048×2048: 50%');
    expect(rows[1]?.measured).toContain('55% of 182 tok/s');
    expect(renderReport(results)).toContain('| 1b (1100M q4_0) | tuned | 16 | 900 | 700.0 | 110% |');
  });

  it('says what was not measured', () => {
    const rows = targetRows({});
    expect(rows.every((r) => r.met === undefined && r.measured === 'not measured')).toBe(true);
  });
});
