// Reads the JSON a GPU check (tools/gpu-run.sh) wrote and prints, as Markdown, the device, the
// project's GPU targets (issue #3) with what was measured against each, and the decode rows:
// the table the README's real-GPU section takes. Bundled into the pack as gpu-report.mjs.
//
//   node gpu-report.mjs RESULTS_DIR

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One target: what it asks, what was measured, and whether it holds (undefined: not measured). */
export interface TargetRow {
  target: string;
  measured: string;
  met: boolean | undefined;
}

/** The parts of the check's JSON files the report reads (each absent where its step failed). */
export interface CheckResults {
  summary?: {
    mode: string;
    date: string;
    seconds: number;
    steps: { name: string; exitCode: number; seconds: number }[];
  };
  adapter?: { vendor?: string; architecture?: string; device?: string; description?: string; cpu?: boolean };
  device?: { bandwidthGBps?: number; features?: string[]; implementation?: string };
  testKernels?: {
    numPassedTests: number;
    numFailedTests: number;
    success: boolean;
    testResults: { status: string }[];
  };
  tune?: Record<string, { totalMs: number; decisions: { untimed: boolean }[] } | undefined>;
  kernels?: {
    op: string;
    dtype: string;
    shape: Record<string, number | string>;
    pctOfBandwidth: number;
    effectiveGBps: number;
  }[];
  decode?: Record<string, DecodeResult | undefined>;
}

/** The parts of a `bench decode` result the report reads. */
interface DecodeResult {
  model: { parameters: number; weightType: string };
  rows: {
    kernels: string;
    sequences: number;
    sharedPrompt: boolean;
    decodeTokS: number;
    prefillTokS: number;
  }[];
  batch16OverSingle: number;
  bandwidthLimit?: {
    copy: { gbps: number };
    rows: { kernels: string; sequences: number; sharedPrompt: boolean; ratio: number; limitTokS: number }[];
  };
}

const QUANTIZED = new Set(['q8_0', 'q4_0', 'q4_k']);
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/** The targets table from a check's results. */
export function targetRows(r: CheckResults): TargetRow[] {
  const rows: TargetRow[] = [];
  const gemv = (r.kernels ?? []).filter((k) => QUANTIZED.has(k.dtype) && k.shape.m === 1);
  rows.push({
    target: 'quantized GEMV ≥ 60% of the copy bandwidth (m = 1, model shapes)',
    measured: gemv.length
      ? gemv.map((k) => `${k.dtype} ${k.shape.k}×${k.shape.n}: ${pct(k.pctOfBandwidth)}`).join(', ')
      : 'not measured',
    met: gemv.length ? gemv.every((k) => k.pctOfBandwidth >= 0.6) : undefined,
  });
  const big = r.decode?.['1b'];
  const limit = big?.bandwidthLimit?.rows.filter((x) => x.sequences === 1 && !x.sharedPrompt).at(-1);
  rows.push({
    target: 'decode ≥ 50% of the bandwidth limit, 1.1B Q4_0, one sequence',
    measured: limit
      ? `${pct(limit.ratio)} of ${limit.limitTokS.toFixed(0)} tok/s (${limit.kernels} kernels)`
      : 'not measured',
    met: limit ? limit.ratio >= 0.5 : undefined,
  });
  rows.push({
    target: '16 sequences ≥ 6× one sequence (1.1B)',
    measured: big ? `${big.batch16OverSingle.toFixed(2)}×` : 'not measured',
    met: big ? big.batch16OverSingle >= 6 : undefined,
  });
  const tunes = Object.entries(r.tune ?? {}).filter(([, t]) => t);
  rows.push({
    target: 'tuning a model’s shapes ≤ 30 s',
    measured: tunes.length
      ? tunes
          .map(
            ([m, t]) =>
              `${m}: ${((t?.totalMs ?? 0) / 1000).toFixed(1)} s, ${t?.decisions.filter((d) => d.untimed).length} problems left untimed`,
          )
          .join('; ')
      : 'not measured',
    met: tunes.length
      ? tunes.every(([, t]) => (t?.totalMs ?? 0) <= 30_000 && !t?.decisions.some((d) => d.untimed))
      : undefined,
  });
  const k = r.testKernels;
  const notRun = k?.testResults.filter((f) => f.status === 'skipped').length ?? 0;
  rows.push({
    target: `every kernel candidate correct (${r.summary?.mode === 'local' ? 'a sample' : 'test-kernels --all'})`,
    measured: k
      ? `${k.numPassedTests} passed, ${k.numFailedTests} failed${notRun ? `, ${notRun} files not reached` : ''}`
      : 'not measured',
    met: k ? k.success : undefined,
  });
  return rows;
}

/** The Markdown report. */
export function renderReport(r: CheckResults): string {
  const a = r.adapter ?? {};
  const lines = [
    `**${r.summary?.date ?? '?'}** — ${a.vendor ?? '?'} / ${a.architecture ?? '?'} / ${a.device || a.description || '?'}` +
      ` (${r.summary?.mode ?? '?'} run, ${r.summary?.seconds ?? '?'} s); copy bandwidth ${r.device?.bandwidthGBps?.toFixed(0) ?? '?'} GB/s (64 MiB copy)` +
      (r.decode?.['1b']?.bandwidthLimit
        ? `, ${r.decode['1b'].bandwidthLimit.copy.gbps.toFixed(0)} GB/s (64 MiB vs 1 GiB copies)`
        : ''),
    '',
    '| target | measured | met |',
    '| --- | --- | --- |',
    ...targetRows(r).map(
      (t) => `| ${t.target} | ${t.measured} | ${t.met === undefined ? '—' : t.met ? 'yes' : '**no**'} |`,
    ),
    '',
    '| model | kernels | sequences | prefill tok/s | decode tok/s | of the bandwidth limit |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const [name, d] of Object.entries(r.decode ?? {})) {
    if (!d) continue;
    for (const [i, row] of d.rows.entries()) {
      const lim = d.bandwidthLimit?.rows[i];
      lines.push(
        `| ${name} (${(d.model.parameters / 1e6).toFixed(0)}M ${d.model.weightType}) | ${row.kernels} | ${row.sequences}${row.sharedPrompt ? ' forks' : ''} | ${row.prefillTokS.toFixed(0)} | ${row.decodeTokS.toFixed(1)} | ${lim ? pct(lim.ratio) : '—'} |`,
      );
    }
  }
  const steps = r.summary?.steps ?? [];
  if (steps.length)
    lines.push(
      '',
      `steps: ${steps.map((s) => `${s.name} ${s.exitCode === 0 ? 'ok' : `exit ${s.exitCode}`} ${s.seconds} s`).join(', ')}`,
    );
  return `${lines.join('\n')}\n`;
}

/** Reads a check's results folder (files that are missing or not JSON are left out). */
export function readResults(dir: string): CheckResults {
  const read = <T>(name: string): T | undefined => {
    const path = join(dir, name);
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch {
      return undefined;
    }
  };
  const models = ['31m', '1b', 'small'];
  return {
    summary: read('summary.json'),
    adapter: read('adapter.json'),
    device: read('device.json'),
    testKernels: read('test-kernels.json'),
    tune: Object.fromEntries(models.map((m) => [m, read(`tune-${m}.json`)]).filter(([, v]) => v)),
    kernels: read('bench-kernels.json'),
    decode: Object.fromEntries(models.map((m) => [m, read(`bench-decode-${m}.json`)]).filter(([, v]) => v)),
  };
}

if (process.argv[1] && /gpu-report\.(m?js|ts)$/.test(process.argv[1])) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: gpu-report.mjs RESULTS_DIR\n');
    process.exit(2);
  }
  process.stdout.write(renderReport(readResults(dir)));
}
