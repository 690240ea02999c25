import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runAttentionSuite } from '@ruminate/bench/kernels/attention-suite.ts';
import { MATMUL_SHAPES, type MatmulBenchRow, runMatmulSuite } from '@ruminate/bench/kernels/matmul-suite.ts';
import { runMoeSuite } from '@ruminate/bench/kernels/moe-suite.ts';
import { gflops, type TunedTiming } from '@ruminate/bench/kernels/tune-and-time.ts';
import type { PagePeerRow } from '@ruminate/bench/pages/kernels-page.ts';
import { openBenchPage } from '@ruminate/bench/support/browser.ts';
import {
  FileTuningStore,
  kernelContextFor,
  MemoryTuningStore,
  measureDeviceProfile,
  requestDevice,
  Tuner,
  tuningIdentity,
} from '@ruminate/gpu';
import { log, out, table } from '../log.ts';
import type { BenchSuite } from './bench.ts';

/** One row of bench/results/kernels.json. */
export interface KernelBenchRow {
  op: string;
  /** m, k, n for matmul; the op's own dimensions otherwise. */
  shape: Record<string, number | string>;
  dtype: string;
  defaultGflops: number;
  tunedGflops: number;
  effectiveGBps: number;
  /** f32 rows: the peers on the page, end to end (upload + compute + readback). */
  peerGflops?: { tfjs: number | null; ort: number | null };
  /** f32 rows: Ruminate on the same page, timed the same way as the peers. */
  pageGflops?: { default: number; tuned: number };
  tuneMs: number;
  speedup: number;
  /** Effective GB/s as a fraction of the DeviceProfile's copy bandwidth. */
  pctOfBandwidth: number;
  /** GFLOP/s as a fraction of the DeviceProfile's plain-kernel matmul rate. */
  pctOfMatmulPeak: number;
  tunedOn: Record<string, number | string>;
  timed: number;
  candidates: number;
}

const repoRoot = join(dirname(new URL(import.meta.url).pathname), '../../../..');

export const benchKernels: BenchSuite = {
  name: 'kernels',
  summary: 'untuned vs tuned kernels vs peers',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean' },
        'budget-ms': { type: 'string' },
        full: { type: 'boolean' },
        fresh: { type: 'boolean' },
        'no-browser': { type: 'boolean' },
        reps: { type: 'string' },
      },
    });
    const acquired = await requestDevice();
    const swiftshader = acquired.info.architecture === 'swiftshader';
    const reduced = !values.full && swiftshader;
    // SwiftShader compiles and runs each candidate in seconds: the suite's 17 problems need more
    // than a model's shape set (which `ruminate tune` fits in 120 s there).
    const budgetMs = Number(values['budget-ms'] ?? (swiftshader ? 600_000 : 30_000));
    const reps = Number(values.reps ?? (swiftshader ? 3 : 10));
    log(
      `device: ${acquired.info.vendor}/${acquired.info.architecture}; tuning budget ${budgetMs} ms${reduced ? ' on k/4 sizes' : ''}`,
    );
    const profile = await measureDeviceProfile(acquired);
    const store = values.fresh ? new MemoryTuningStore() : new FileTuningStore();
    const tuner = await Tuner.open(acquired.device, tuningIdentity(acquired.info), store);
    const ctx = { ...kernelContextFor(acquired), tuned: tuner.lookup };
    const started = performance.now();
    const matmul = await runMatmulSuite(ctx, tuner, { reduced, budgetMs: budgetMs * 0.7, reps, log });
    const attention = await runAttentionSuite(ctx, tuner, { reduced, budgetMs: budgetMs * 0.15, reps, log });
    const moe = await runMoeSuite(ctx, tuner, { reduced, budgetMs: budgetMs * 0.15, reps, log });
    const nodeTuneMs = performance.now() - started;
    acquired.device.destroy();

    let page: PagePeerRow[] = [];
    if (!values['no-browser']) {
      log('headless Chromium: Ruminate vs tfjs-backend-webgpu vs onnxruntime-web, f32, same adapter…');
      const browser = await openBenchPage('kernels', log);
      try {
        page = await browser.page.evaluate(
          ([shapes, opts]) =>
            (window as unknown as { benchF32Matmul: NonNullable<Window['benchF32Matmul']> }).benchF32Matmul(
              shapes,
              opts,
            ),
          [MATMUL_SHAPES.map((s) => ({ ...s })), { reduced, budgetMs: budgetMs / 4 }] as const,
        );
      } finally {
        await browser.close();
      }
    }

    const rows = [
      ...matmul.map((r) => toRow(r, page, profile.bandwidthGBps, profile.matmulGflops)),
      ...attention.map((r) => timingRow(r, { ...r.shape }, { ...r.tunedOn }, 'f32', profile)),
      ...moe.map((r) => timingRow(r, { ...r.shape }, { ...r.tunedOn }, r.shape.dtype, profile)),
    ];
    const file = join(repoRoot, 'bench/results/kernels.json');
    mkdirSync(dirname(file), { recursive: true });
    const meta = {
      date: new Date().toISOString(),
      device: profile.adapter,
      implementation: profile.implementation,
      bandwidthGBps: profile.bandwidthGBps,
      matmulGflops: profile.matmulGflops,
      reduced,
      budgetMs,
      totalTuneMs: nodeTuneMs,
    };
    writeFileSync(file, `${JSON.stringify(rows, null, 1)}\n`);
    writeFileSync(join(repoRoot, 'bench/results/kernels.meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
    log(`wrote ${file}`);
    out(values.json ? JSON.stringify({ meta, rows }) : renderTable(rows, meta));
    return 0;
  },
};

function toRow(
  r: MatmulBenchRow,
  page: PagePeerRow[],
  bandwidth: number,
  matmulPeak: number,
): KernelBenchRow {
  const onPage = page.find(
    (p) => p.shape.m === r.shape.m && p.shape.k === r.shape.k && p.shape.n === r.shape.n,
  );
  const gf = (t: PagePeerRow['tfjs'] | undefined) => (t && typeof t === 'object' ? t.gflops : null);
  return {
    op: r.op,
    shape: r.shape,
    dtype: r.dtype,
    defaultGflops: r.defaultGflops,
    tunedGflops: r.tunedGflops,
    effectiveGBps: r.effectiveGBps,
    ...(r.dtype === 'f32' && onPage
      ? {
          peerGflops: { tfjs: gf(onPage.tfjs), ort: gf(onPage.ort) },
          pageGflops: { default: onPage.ruminateDefault.gflops, tuned: onPage.ruminateTuned.gflops },
        }
      : {}),
    tuneMs: r.tuneMs,
    speedup: r.tunedGflops / r.defaultGflops,
    pctOfBandwidth: r.effectiveGBps / bandwidth,
    pctOfMatmulPeak: r.tunedGflops / matmulPeak,
    tunedOn: r.tunedOn,
    timed: r.timed,
    candidates: r.candidates,
  };
}

function timingRow(
  t: TunedTiming,
  shape: Record<string, number | string>,
  tunedOn: Record<string, number | string>,
  dtype: string,
  profile: { bandwidthGBps: number; matmulGflops: number },
): KernelBenchRow {
  const tuned = gflops(t.work.flops, t.tunedMs);
  const effectiveGBps = t.work.bytes / (t.tunedMs * 1e-3) / 1e9;
  return {
    op: t.op,
    shape,
    dtype,
    defaultGflops: gflops(t.work.flops, t.defaultMs),
    tunedGflops: tuned,
    effectiveGBps,
    tuneMs: t.tuneMs,
    speedup: t.defaultMs / t.tunedMs,
    pctOfBandwidth: effectiveGBps / profile.bandwidthGBps,
    pctOfMatmulPeak: tuned / profile.matmulGflops,
    tunedOn,
    timed: t.timed,
    candidates: t.candidates,
  };
}

function shapeLabel(s: Record<string, number | string>): string {
  if ('m' in s && 'k' in s && 'n' in s) return `${s.m}×${s.k}×${s.n}`;
  return Object.entries(s)
    .filter(([k]) => k !== 'dtype')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function renderTable(
  rows: KernelBenchRow[],
  meta: { date: string; implementation: string; totalTuneMs: number },
): string {
  const f = (v: number | null | undefined, d = 2) => (v === null || v === undefined ? '—' : v.toFixed(d));
  const body = table(
    [
      'op',
      'm×k×n',
      'dtype',
      'default GF/s',
      'tuned GF/s',
      'speedup',
      'eff GB/s',
      '% bw',
      'page tuned',
      'tfjs',
      'ort',
      'tune s',
    ],
    rows.map((r) => [
      r.op,
      shapeLabel(r.shape),
      r.dtype,
      f(r.defaultGflops),
      f(r.tunedGflops),
      `${f(r.speedup)}×`,
      f(r.effectiveGBps),
      `${f(r.pctOfBandwidth * 100, 1)}%`,
      f(r.pageGflops?.tuned),
      f(r.peerGflops?.tfjs),
      f(r.peerGflops?.ort),
      f(r.tuneMs / 1000, 1),
    ]),
  );
  const wins = rows.filter((r) => r.speedup >= 1.5).length;
  return `${body}\n\n${meta.date} — ${meta.implementation}\ntuned ≥ 1.5× default on ${wins}/${rows.length} shapes; total tuning ${(meta.totalTuneMs / 1000).toFixed(1)} s`;
}
