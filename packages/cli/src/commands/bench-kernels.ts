import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runAttentionSuite } from '@ruminate/bench/kernels/attention-suite.ts';
import {
  allMatmulProblems,
  MATMUL_SHAPES,
  type MatmulBenchRow,
  runMatmulSuite,
} from '@ruminate/bench/kernels/matmul-suite.ts';
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
import {
  BENCH_WEIGHT_TYPES,
  type BenchWeightType,
  benchWasmMatmuls,
  enableRelaxedSimdInNode,
  WASM_BENCH_SHAPES,
  type WasmMatmulBench,
  type WasmMatmulBenchRow,
} from '@ruminate/wasm';
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
  summary:
    'untuned vs tuned kernels vs peers (--backend webgpu), or the wasm matmul kernels (--backend wasm)',
  async run(argv) {
    const { backend, rest } = splitBackend(argv);
    if (backend === 'wasm') return benchWasmKernels(rest);
    if (backend !== 'webgpu') {
      log(`ruminate bench kernels: --backend must be webgpu or wasm, got "${backend}"`);
      return 2;
    }
    return benchWebGpuKernels(rest);
  },
};

/** Takes `--backend X` / `--backend=X` out of argv (default webgpu). */
function splitBackend(argv: string[]): { backend: string; rest: string[] } {
  let backend = 'webgpu';
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--backend') backend = argv[++i] ?? '';
    else if (a.startsWith('--backend=')) backend = a.slice('--backend='.length);
    else rest.push(a);
  }
  return { backend, rest };
}

/** `bench kernels --backend webgpu`: tunes and times the WGSL kernels, and the f32 peers in Chromium. */
async function benchWebGpuKernels(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' },
      'budget-ms': { type: 'string' },
      full: { type: 'boolean' },
      fresh: { type: 'boolean' },
      'no-browser': { type: 'boolean' },
      reps: { type: 'string' },
      out: { type: 'string' },
      quick: { type: 'boolean' },
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
  // --quick: the q4_0 matmuls alone (what a CPU adapter can time in a minute or two).
  const problems = values.quick ? allMatmulProblems().filter((p) => p.dtype === 'q4_0') : undefined;
  const matmul = await runMatmulSuite(ctx, tuner, {
    reduced,
    budgetMs: budgetMs * (values.quick ? 1 : 0.7),
    reps,
    log,
    ...(problems ? { problems } : {}),
  });
  const attention = values.quick
    ? []
    : await runAttentionSuite(ctx, tuner, { reduced, budgetMs: budgetMs * 0.15, reps, log });
  const moe = values.quick
    ? []
    : await runMoeSuite(ctx, tuner, { reduced, budgetMs: budgetMs * 0.15, reps, log });
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
  // --out FILE: the rows there and the meta beside them (FILE.json → FILE.meta.json).
  const file = values.out ?? join(repoRoot, 'bench/results/kernels.json');
  const metaFile = file.replace(/(\.json)?$/, '.meta.json');
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
  writeFileSync(metaFile, `${JSON.stringify(meta, null, 1)}\n`);
  log(`wrote ${file}`);
  out(values.json ? JSON.stringify({ meta, rows }) : renderTable(rows, meta));
  return 0;
}

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

/** One row of bench/results/kernels-wasm.json: a shape × weight type × activation rows. */
export type WasmKernelBenchRow = WasmMatmulBenchRow;

/** The `meta` of bench/results/kernels-wasm.json: when, on what, with which features. */
export interface WasmKernelBenchMeta {
  date: string;
  machine: {
    cpu: string;
    cores: number;
    /** os.loadavg() before and after the run: the machine is shared, read the numbers with it. */
    loadAverageBefore: number[];
    loadAverageAfter: number[];
    platform: string;
    arch: string;
    memoryGiB: number;
  };
  node: string;
  v8: string;
  /** Relaxed SIMD computes right here (the kernels use relaxed dots only then). */
  relaxedSimd: boolean;
  /** Relaxed SIMD validates (Node 20: behind --experimental-wasm-relaxed-simd, whose dot-add computes wrong). */
  relaxedSimdValidates: boolean;
  features: WasmMatmulBench['features'];
  threads: number;
  threadingReason: string;
  /** A memory sweep over 64 MiB: one thread and all threads. */
  sweep: WasmMatmulBench['sweep'];
  types: string[];
  ms: number[];
  totalMs: number;
}

const WASM_USAGE = `ruminate bench kernels --backend wasm [--types q4_0,q8_0,q4_k,q6_k,f16] [--m 1,4,16] [--threads N] [--quick] [--json]`;

/** `bench kernels --backend wasm`: the wasm matmul kernels on the 31M and 1B shapes, one thread and all threads. */
async function benchWasmKernels(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' },
      types: { type: 'string' },
      m: { type: 'string' },
      threads: { type: 'string' },
      quick: { type: 'boolean' },
    },
  });
  const types = (values.types?.split(',') ?? [...BENCH_WEIGHT_TYPES]).map((t) => t.trim());
  const bad = types.filter((t) => !(BENCH_WEIGHT_TYPES as readonly string[]).includes(t));
  const ms = (values.m?.split(',') ?? ['1', '4', '16']).map(Number);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (
    bad.length > 0 ||
    ms.some((m) => !Number.isInteger(m) || m < 1 || m > 16) ||
    (threads !== undefined && !(Number.isInteger(threads) && threads >= 1))
  ) {
    log(
      `ruminate bench kernels: ${bad.length ? `unknown type ${bad.join(', ')} (one of ${BENCH_WEIGHT_TYPES.join(', ')})` : 'bad --m or --threads (m in 1…16)'}\n\n${WASM_USAGE}`,
    );
    return 2;
  }
  // In Node 20 relaxed SIMD sits behind a V8 flag; the kernels use it only where it computes right.
  await enableRelaxedSimdInNode();
  const loadBefore = os.loadavg();
  const started = performance.now();
  log(
    `wasm matmul kernels: ${WASM_BENCH_SHAPES.length} shapes × ${types.join(', ')} × m = ${ms.join(', ')}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const result = await benchWasmMatmuls({
    types: types as BenchWeightType[],
    ms,
    threads,
    timing: values.quick ? { minRoundMs: 10, rounds: 2 } : { minRoundMs: 25, rounds: 3 },
    onRow: (r) =>
      log(
        `  ${r.model} ${r.op} ${r.k}×${r.n} ${r.type} m=${r.m}: ${r.skipped ?? `${fmt(r.oneThread?.gflops)} GFLOP/s one thread, ${fmt(r.allThreads?.gflops)} all threads`}`,
      ),
  });
  const cpus = os.cpus();
  const meta: WasmKernelBenchMeta = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus[0]?.model.trim() ?? 'unknown',
      cores: os.availableParallelism?.() ?? cpus.length,
      loadAverageBefore: loadBefore,
      loadAverageAfter: os.loadavg(),
      platform: `${os.platform()} ${os.release()}`,
      arch: os.arch(),
      memoryGiB: os.totalmem() / 2 ** 30,
    },
    node: process.version,
    v8: process.versions.v8,
    relaxedSimd: result.features.relaxedSimd,
    relaxedSimdValidates: result.features.relaxedSimdValidates,
    features: result.features,
    threads: result.threading.threads,
    threadingReason: result.threading.reason,
    sweep: result.sweep,
    types,
    ms,
    totalMs: performance.now() - started,
  };
  const file = join(repoRoot, 'bench/results/kernels-wasm.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ meta, rows: result.rows }, null, 1)}\n`);
  log(`wrote ${file}`);
  out(values.json ? JSON.stringify({ meta, rows: result.rows }) : renderWasmTable(result.rows, meta));
  return 0;
}

function fmt(v: number | null | undefined, d = 1): string {
  return v === null || v === undefined ? '—' : v.toFixed(d);
}

/** The wasm rows as a table: one thread and all threads, each against a memory sweep of the same bytes. */
export function renderWasmTable(rows: WasmKernelBenchRow[], meta: WasmKernelBenchMeta): string {
  const pct = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || b <= 0 ? '—' : `${((100 * a) / b).toFixed(0)}%`;
  const n = meta.threads;
  const body = table(
    [
      'model',
      'op',
      'k×n',
      'type',
      'm',
      '1T GF/s',
      '1T GB/s',
      '% sweep',
      `${n}T GF/s`,
      `${n}T GB/s`,
      '% sweep',
      `${n}T/1T`,
      '',
    ],
    rows.map((r) =>
      r.skipped
        ? [
            r.model,
            r.op,
            `${r.k}×${r.n}`,
            r.type,
            r.m,
            '—',
            '—',
            '—',
            '—',
            '—',
            '—',
            '—',
            `skipped: ${r.skipped}`,
          ]
        : [
            r.model,
            r.op,
            `${r.k}×${r.n}`,
            r.type,
            r.m,
            fmt(r.oneThread?.gflops),
            fmt(r.oneThread?.weightGBps),
            pct(r.oneThread?.weightGBps, r.oneThread?.sweepGBps),
            fmt(r.allThreads?.gflops),
            fmt(r.allThreads?.weightGBps),
            pct(r.allThreads?.weightGBps, r.allThreads?.sweepGBps),
            r.allThreads && r.oneThread ? `${(r.allThreads.gflops / r.oneThread.gflops).toFixed(2)}×` : '—',
            '',
          ],
    ),
  );
  const m = meta.machine;
  return [
    body,
    '',
    `GB/s: packed weight bytes read per second; % sweep: of a v128 memory sweep of the same bytes on as many threads.`,
    `memory sweep ${(meta.sweep.bytes / 2 ** 20).toFixed(0)} MiB: ${fmt(meta.sweep.oneThreadGBps)} GB/s one thread, ${fmt(meta.sweep.allThreadsGBps)} GB/s ${n} threads (${meta.threadingReason})`,
    `${meta.date} — ${m.cpu}, ${m.cores} cores, load ${m.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')} → ${m.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')}; Node ${meta.node}; relaxed SIMD ${meta.relaxedSimd ? 'on' : `off${meta.relaxedSimdValidates ? ' (validates, computes wrong: plain i16 dots)' : ''}`}`,
  ].join('\n');
}
