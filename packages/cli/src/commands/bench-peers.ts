import { existsSync, mkdirSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchPrompt, peerFixture } from '@ruminate/bench/peers/fixture.ts';
import type { BatchRun, EngineRun, PeersPageRequest, PeersPageResult } from '@ruminate/bench/peers/types.ts';
import { openBenchPage } from '@ruminate/bench/support/browser.ts';
import { isRuminateError, RuminateError } from '@ruminate/errors';
import { convertedFolder } from '@ruminate/transformers/convert';
import { log, out, table } from '../log.ts';
import type { BenchSuite } from './bench.ts';

const usage = [
  'ruminate bench peers [--model PATH]… [--prompt-tokens N] [--decode-tokens N] [--runs N] [--batch N]',
  '                      [--samples N] [--sample-tokens N] [--threads N] [--skip ENGINE]… [--out FILE] [--json]',
  '',
  '  The same GGUF in the same headless Chromium (page cross-origin isolated): Ruminate on its wasm',
  '  backend and on its WebGPU backend (each forced with the backend load option, in a Web Worker) vs',
  '  @wllama/wllama (wasm with navigator.hardwareConcurrency threads, with 1 thread, and its WebGPU',
  '  build). Same prompt ids, greedy, same token count; then --samples samples (default 16) of',
  '  --sample-tokens tokens (default 32) from one new prompt: Ruminate forks and steps them together,',
  '  wllama runs them one after another (wall time). --threads: Ruminate wasm threads (default: every',
  '  core). Without --model: the project-written 31M Q4_0 llama (.cache/fixtures/) and the bundled',
  '  models/mul-q8_0.gguf when present. transformers.js runs the same weights: each GGUF the',
  '  converter supports is converted to ONNX first (cached by hash under .cache/fixtures/onnx/), then',
  '  run on its wasm and WebGPU devices with its own generate() (16 samples: one batched call); a q4_0',
  '  GGUF runs as onnx/model_q4.onnx (its 4-bit blocks as MatMulNBits), others as fp32.',
  '  ENGINE: ruminate (WebGPU), ruminate-wasm, wllama-cpu, wllama-cpu1, wllama-webgpu,',
  '  transformers-wasm, transformers-webgpu. Writes bench/results/peers.json (or --out FILE).',
].join('\n');

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const BUNDLED = join(REPO_ROOT, 'models', 'mul-q8_0.gguf');

type Outcome = EngineRun | { engine: string; error: string };
const ok = (r: Outcome | undefined): r is EngineRun => !!r && !('error' in r);
const batchOk = (b: PeersPageResult['batch']): b is BatchRun => !('error' in b);

/** One model's row of bench/results/peers.json. */
interface PeersModelRow {
  model: string;
  bytes: number;
  result: PeersPageResult;
  /** The wllama path with the higher decode rate (the peer at its best). */
  wllamaBest: string | null;
  /** Ruminate (WebGPU) decode tok/s over wllama's best. */
  decodeRatio: number | null;
  /** Ruminate (WebGPU) prefill tok/s over wllama's best path's prefill. */
  prefillRatio: number | null;
  /** Ruminate (wasm) decode tok/s over wllama's best. */
  wasmDecodeRatio: number | null;
  /** Ruminate (wasm) prefill tok/s over wllama's best path's prefill. */
  wasmPrefillRatio: number | null;
  /** wllama's fastest 16-samples wall time over Ruminate wasm's (how many times faster Ruminate is). */
  wasmSamplesSpeedup: number | null;
  /** Greedy texts equal over the shorter of the two (Ruminate vs wllama wasm), as a sanity check. */
  greedyAgreeChars: number | null;
  /** The same for Ruminate's wasm backend. */
  wasmGreedyAgreeChars: number | null;
  /** Prompt tokens each engine reports having processed (equal when the comparison is fair). */
  promptTokensByEngine: Record<string, number>;
  /** transformers.js: decode tok/s on its wasm and WebGPU devices, and its best 16-samples wall time. */
  transformersWasmDecodeTokS: number | null;
  transformersWebgpuDecodeTokS: number | null;
  transformersSamples16Ms: number | null;
  transformersSamplesEngine: string | null;
  /** Ruminate's best backend: decode tok/s and 16-samples wall time (each the better of wasm and WebGPU). */
  ruminateBestDecodeTokS: number | null;
  ruminateBestSamples16Ms: number | null;
  /** Ruminate's best over transformers.js's best: decode (higher is better for Ruminate) and samples (transformers ms / Ruminate ms). */
  decodeOverTransformers: number | null;
  samplesOverTransformers: number | null;
}

/** The URL the bench server serves `path` at (files outside its folders are linked under .cache/fixtures/peer-links/). */
function servedUrl(path: string): string {
  const abs = resolve(path);
  const under = (dir: string) => {
    const rel = relative(dir, abs);
    return rel && !rel.startsWith('..') ? rel.split('\\').join('/') : undefined;
  };
  const inModels = under(join(REPO_ROOT, 'models'));
  if (inModels) return `/models/${inModels}`;
  const fixtures = join(REPO_ROOT, '.cache', 'fixtures');
  const inFixtures = under(fixtures);
  if (inFixtures) return `/fixtures/${inFixtures}`;
  const links = join(fixtures, 'peer-links');
  mkdirSync(links, { recursive: true });
  const link = join(links, basename(abs));
  if (existsSync(link)) unlinkSync(link);
  symlinkSync(abs, link);
  return `/fixtures/peer-links/${basename(abs)}`;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

const samplesMs = (e: EngineRun | undefined): number | undefined =>
  e?.samples && !('error' in e.samples) ? e.samples.wallMs : undefined;

/** wllama's configurations that ran, best decode first. */
const wllamaByDecode = (result: PeersPageResult) =>
  result.wllama.filter(ok).sort((a, b) => b.decodeTokS - a.decodeTokS);

/** wllama's fastest 16-samples run (lowest wall time). */
function wllamaBestSamples(result: PeersPageResult): EngineRun | undefined {
  return result.wllama
    .filter(ok)
    .filter((e) => samplesMs(e) !== undefined)
    .sort((a, b) => (samplesMs(a) as number) - (samplesMs(b) as number))[0];
}

/** The lowest of the defined values, or undefined. */
const lowest = (xs: (number | undefined)[]) => {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length ? Math.min(...v) : undefined;
};
const highest = (xs: (number | undefined)[]) => {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length ? Math.max(...v) : undefined;
};

/** transformers.js's figures and Ruminate's best against them. */
function transformersSummary(result: PeersPageResult, samples: number) {
  const tjs = result.transformers.filter(ok);
  const device = (d: string) => tjs.find((e) => e.engine.startsWith(`transformers.js (${d}`));
  const ours = [result.ruminateWasm, result.ruminate].filter(ok);
  const bestSamples = tjs
    .filter((e) => samplesMs(e) !== undefined)
    .sort((a, b) => (samplesMs(a) as number) - (samplesMs(b) as number))[0];
  const ruminateDecode = highest(ours.map((e) => e.decodeTokS));
  const ruminateSamples = lowest(ours.map(samplesMs));
  const tjsDecode = highest(tjs.map((e) => e.decodeTokS));
  const tjsSamples = samplesMs(bestSamples);
  const sixteen = (v: number | undefined) => (samples === 16 ? (v ?? null) : null);
  return {
    transformersWasmDecodeTokS: device('wasm')?.decodeTokS ?? null,
    transformersWebgpuDecodeTokS: device('webgpu')?.decodeTokS ?? null,
    transformersSamples16Ms: sixteen(tjsSamples),
    transformersSamplesEngine: bestSamples?.engine ?? null,
    ruminateBestDecodeTokS: ruminateDecode ?? null,
    ruminateBestSamples16Ms: sixteen(ruminateSamples),
    decodeOverTransformers: ruminateDecode && tjsDecode ? ruminateDecode / tjsDecode : null,
    samplesOverTransformers: ruminateSamples && tjsSamples ? tjsSamples / ruminateSamples : null,
  };
}

function summarize(model: string, bytes: number, result: PeersPageResult, samples: number): PeersModelRow {
  const best = wllamaByDecode(result)[0];
  const r = ok(result.ruminate) ? result.ruminate : undefined;
  const w = ok(result.ruminateWasm) ? result.ruminateWasm : undefined;
  const cpu = result.wllama.filter(ok).find((e) => e.engine.startsWith('wllama (wasm'));
  const wSamples = samplesMs(w);
  const peerSamples = samplesMs(wllamaBestSamples(result));
  return {
    model,
    bytes,
    result,
    wllamaBest: best?.engine ?? null,
    decodeRatio: r && best ? r.decodeTokS / best.decodeTokS : null,
    prefillRatio: r && best ? r.prefillTokS / best.prefillTokS : null,
    wasmDecodeRatio: w && best ? w.decodeTokS / best.decodeTokS : null,
    wasmPrefillRatio: w && best ? w.prefillTokS / best.prefillTokS : null,
    wasmSamplesSpeedup: wSamples && peerSamples ? peerSamples / wSamples : null,
    greedyAgreeChars: r && cpu ? commonPrefix(r.text, cpu.text) : null,
    wasmGreedyAgreeChars: w && cpu ? commonPrefix(w.text, cpu.text) : null,
    promptTokensByEngine: Object.fromEntries(
      [result.ruminateWasm, result.ruminate, ...result.wllama, ...result.transformers]
        .filter(ok)
        .map((e) => [e.engine, e.promptTokens]),
    ),
    ...transformersSummary(result, samples),
  };
}

function render(rows: PeersModelRow[], samples: number, sampleTokens: number): string {
  const f = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
  const parts: string[] = [];
  for (const row of rows) {
    const { ruminate, ruminateWasm, wllama, transformers, batch, batchWasm } = row.result;
    const ours: [Outcome, PeersPageResult['batch']][] = [
      [ruminateWasm, batchWasm],
      [ruminate, batch],
    ];
    const engines: Outcome[] = [ruminateWasm, ruminate, ...wllama, ...transformers];
    // The ratio columns compare with wllama; transformers.js has its own line below the table.
    const peerRuns = [...wllama, ...transformers];
    const cell = (e: Outcome, pick: (r: EngineRun) => number | undefined, d = 1) =>
      ok(e) ? f(pick(e), d) : 'n/a';
    /** Ruminate's figure over wllama's best (lowest for ms rows: < 1 is better there). */
    const ratios = (pick: (r: EngineRun) => number | undefined, inverse = false) =>
      ours.map(([e]) => {
        const peers = wllama
          .filter(ok)
          .map(pick)
          .filter((v): v is number => v !== undefined);
        const mine = ok(e) ? pick(e) : undefined;
        if (mine === undefined || peers.length === 0) return '—';
        return `${(mine / (inverse ? Math.min(...peers) : Math.max(...peers))).toFixed(2)}×`;
      });
    const batchCell = (b: PeersPageResult['batch']) =>
      batchOk(b) ? `${f(b.totalTokS)} (${f(b.overSingle, 2)}× one)` : b.error;
    const batchRatio = ours.map(([, b]) => {
      const peer = Math.max(...wllama.filter(ok).map((e) => e.decodeTokS));
      return batchOk(b) && Number.isFinite(peer) ? `${(b.totalTokS / peer).toFixed(2)}×` : '—';
    });
    const seqs = batchOk(batchWasm) ? batchWasm.sequences : batchOk(batch) ? batch.sequences : '?';
    parts.push(`${row.model} (${(row.bytes / 2 ** 20).toFixed(1)} MiB)`);
    parts.push(
      table(
        ['', ...engines.map((e) => e.engine), 'wasm / wllama best', 'WebGPU / wllama best'],
        [
          ['load ms', ...engines.map((e) => cell(e, (r) => r.loadMs, 0)), ...ratios((r) => r.loadMs, true)],
          [
            'kernel tuning ms (first visit)',
            ...engines.map((e) => (ok(e) && e.tuneMs !== undefined ? f(e.tuneMs, 0) : '—')),
            '',
            '',
          ],
          [
            'TTFT ms (cold)',
            ...engines.map((e) => cell(e, (r) => r.ttftMs, 0)),
            ...ratios((r) => r.ttftMs, true),
          ],
          [
            'prefill tok/s',
            ...engines.map((e) => cell(e, (r) => r.prefillTokS)),
            ...ratios((r) => r.prefillTokS),
          ],
          [
            'decode tok/s',
            ...engines.map((e) => cell(e, (r) => r.decodeTokS)),
            ...ratios((r) => r.decodeTokS),
          ],
          [
            `${seqs} seqs, shared prompt, tok/s in all`,
            ...ours.map(([, b]) => batchCell(b)),
            ...peerRuns.map((e) => (ok(e) ? `${f(e.decodeTokS)} (one at a time)` : 'n/a')),
            ...batchRatio,
          ],
          [
            `${samples} samples × ${sampleTokens} tok, one prompt: wall ms`,
            ...engines.map((e) =>
              ok(e) && e.samples && 'error' in e.samples ? 'failed' : cell(e, samplesMs, 0),
            ),
            ...ratios(samplesMs, true),
          ],
        ],
      ),
    );
    for (const e of engines) {
      if (!ok(e)) parts.push(`  ${e.engine}: ${e.error}`);
      else if (e.samples && 'error' in e.samples) parts.push(`  ${e.engine} samples: ${e.samples.error}`);
    }
    parts.push(
      '  ratio: Ruminate over the best wllama figure (for ms rows, the lowest; < 1 is better there);',
      `  ${seqs} seqs: wllama decodes one sequence at a time, so its figure there is its decode rate`,
    );
    if (row.decodeOverTransformers !== null || row.samplesOverTransformers !== null) {
      parts.push(
        `  Ruminate's best vs transformers.js's best (same weights in ONNX): decode ${f(row.decodeOverTransformers ?? undefined, 2)}× ` +
          `(${f(row.ruminateBestDecodeTokS ?? undefined)} vs ${f(highest([row.transformersWasmDecodeTokS ?? undefined, row.transformersWebgpuDecodeTokS ?? undefined]))} tok/s), ` +
          `${samples} samples ${f(row.samplesOverTransformers ?? undefined, 2)}× faster (${f(
            lowest(
              engines
                .filter(ok)
                .filter((e) => !e.engine.startsWith('transformers') && !e.engine.startsWith('wllama'))
                .map(samplesMs),
            ),
            0,
          )} vs ${f(row.transformersSamples16Ms ?? undefined, 0)} ms)`,
      );
    }
    const peerSamples = wllamaBestSamples(row.result);
    if (row.wasmSamplesSpeedup !== null && peerSamples) {
      parts.push(
        `  ${samples} samples: Ruminate wasm ${row.wasmSamplesSpeedup.toFixed(2)}× faster than ${peerSamples.engine}'s ${samples} runs`,
      );
    }
    const counts = new Set(Object.values(row.promptTokensByEngine));
    if (counts.size > 1)
      parts.push(`  prompt token counts differ: ${JSON.stringify(row.promptTokensByEngine)}`);
    if (row.greedyAgreeChars !== null || row.wasmGreedyAgreeChars !== null) {
      parts.push(
        `  greedy text vs wllama (wasm): Ruminate wasm agrees on the first ${row.wasmGreedyAgreeChars ?? '—'} characters, WebGPU on ${row.greedyAgreeChars ?? '—'}`,
      );
    }
    const distinct = engines
      .filter(ok)
      .map((e) => (e.samples && !('error' in e.samples) ? `${e.engine} ${e.samples.distinct}` : undefined))
      .filter(Boolean);
    if (distinct.length) parts.push(`  distinct samples of ${samples}: ${distinct.join(', ')}`);
    parts.push('');
  }
  return parts.join('\n');
}

export const benchPeers: BenchSuite = {
  name: 'peers',
  summary:
    'Ruminate vs wllama and transformers.js on the same weights in headless Chromium (bench/results/peers.json)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string', multiple: true },
        'prompt-tokens': { type: 'string', default: '64' },
        'decode-tokens': { type: 'string', default: '32' },
        runs: { type: 'string', default: '2' },
        batch: { type: 'string', default: '16' },
        samples: { type: 'string', default: '16' },
        'sample-tokens': { type: 'string', default: '32' },
        threads: { type: 'string' },
        skip: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      out(usage);
      return 0;
    }
    const promptCount = Number(values['prompt-tokens']);
    const decodeTokens = Number(values['decode-tokens']);
    const runs = Number(values.runs);
    const batchSize = Number(values.batch);
    const samples = Number(values.samples);
    const sampleTokens = Number(values['sample-tokens']);
    const threads = values.threads === undefined ? undefined : Number(values.threads);
    if (
      !(promptCount >= 2 && decodeTokens >= 2 && runs >= 1 && batchSize >= 2) ||
      !(Number.isInteger(samples) && samples >= 1 && Number.isInteger(sampleTokens) && sampleTokens >= 1) ||
      (threads !== undefined && !(Number.isInteger(threads) && threads >= 1))
    ) {
      throw new RuminateError(
        'invalid-argument',
        '--prompt-tokens and --decode-tokens must be ≥ 2, --runs ≥ 1, --batch ≥ 2, --samples, --sample-tokens and --threads integers ≥ 1.',
      );
    }
    let models = values.model ?? [];
    if (models.length === 0) {
      log('writing/using the standard peers fixture (31M Q4_0 llama) under .cache/fixtures/…');
      models = [await peerFixture(), ...(existsSync(BUNDLED) ? [BUNDLED] : [])];
    }
    const loadBefore = loadavg();
    const browser = await openBenchPage('peers', log);
    const rows: PeersModelRow[] = [];
    try {
      for (const model of models) {
        const bytes = statSync(model).size;
        const prompt = await benchPrompt(model, promptCount);
        // transformers.js runs the same weights: the converter's ONNX of this GGUF (cached by hash).
        let onnxUrl: string | undefined;
        let onnxDtype: 'fp32' | 'q4' = 'fp32';
        try {
          const folder = await convertedFolder(model, join(REPO_ROOT, '.cache', 'fixtures', 'onnx'));
          onnxUrl = servedUrl(folder);
          // A q4_0 GGUF: its 4-bit matrices as MatMulNBits, transformers.js's fastest form of the same values.
          if (existsSync(join(folder, 'onnx', 'model_q4.onnx'))) onnxDtype = 'q4';
        } catch (e) {
          if (!isRuminateError(e)) throw e;
          log(`${model}: no ONNX conversion (${e.message}); transformers.js is skipped`);
        }
        // The samples prompt starts further into the corpus: no engine has it cached.
        const samplesPrompt = await benchPrompt(model, promptCount, 7);
        const req: PeersPageRequest = {
          url: servedUrl(model),
          prompt: prompt.ids,
          promptText: prompt.text,
          decodeTokens,
          runs,
          batch: batchSize,
          samplesPrompt: samplesPrompt.ids,
          samplesPromptText: samplesPrompt.text,
          samples,
          sampleTokens,
          ...(threads !== undefined ? { threads } : {}),
          ...(onnxUrl ? { onnxUrl, onnxDtype } : {}),
          skip: values.skip ?? [],
        };
        log(`${model}: ${req.prompt.length} prompt tokens, ${decodeTokens} new tokens, ${runs} timed runs…`);
        const result = await browser.page.evaluate(
          (r) => (window as unknown as { benchPeers: NonNullable<Window['benchPeers']> }).benchPeers(r),
          req,
        );
        rows.push(summarize(relative(REPO_ROOT, resolve(model)), bytes, result, samples));
      }
    } finally {
      await browser.close();
    }
    const primary = rows[0];
    const pr = primary && ok(primary.result.ruminate) ? primary.result.ruminate : undefined;
    const pwasm = primary && ok(primary.result.ruminateWasm) ? primary.result.ruminateWasm : undefined;
    const pw = primary ? wllamaByDecode(primary.result)[0] : undefined;
    const pws = primary ? wllamaBestSamples(primary.result) : undefined;
    const pb = primary && batchOk(primary.result.batch) ? primary.result.batch : undefined;
    const pbw = primary && batchOk(primary.result.batchWasm) ? primary.result.batchWasm : undefined;
    const build = (e: EngineRun) => (e.engine.includes('webgpu') ? 'webgpu' : 'wasm');
    const report = {
      date: new Date().toISOString(),
      device: primary?.result.page.adapter ?? 'unknown',
      browser: primary?.result.page.userAgent ?? 'unknown',
      crossOriginIsolated: primary?.result.page.crossOriginIsolated ?? null,
      hardwareConcurrency: primary?.result.page.hardwareConcurrency ?? null,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg(),
        note: 'shared machine: other sessions run tests and builds at the same time; rates are noisy, compare ratios',
      },
      model: primary?.model ?? null,
      promptTokens: promptCount,
      decodeTokens,
      runs,
      ruminateEngine: pr?.engine ?? null,
      wllamaEngine: pw?.engine ?? null,
      ruminateLoadMs: pr?.loadMs ?? null,
      ruminateTuneMs: pr?.tuneMs ?? null,
      wllamaLoadMs: pw?.loadMs ?? null,
      ruminateTtftMs: pr?.ttftMs ?? null,
      wllamaTtftMs: pw?.ttftMs ?? null,
      ruminatePrefillTokS: pr?.prefillTokS ?? null,
      wllamaPrefillTokS: pw?.prefillTokS ?? null,
      ruminateDecodeTokS: pr?.decodeTokS ?? null,
      wllamaDecodeTokS: pw?.decodeTokS ?? null,
      decodeRatio: pr && pw ? pr.decodeTokS / pw.decodeTokS : null,
      ruminateBatch16TokS: pb && pb.sequences === 16 ? pb.totalTokS : null,
      ruminateBatchTokS: pb?.totalTokS ?? null,
      batchSequences: batchSize,
      // The wasm backend (forced with backend: 'wasm'), same run, same page.
      ruminateWasmEngine: pwasm?.engine ?? null,
      ruminateWasmThreads: pwasm?.threads ?? null,
      ruminateWasmLoadMs: pwasm?.loadMs ?? null,
      ruminateWasmTtftMs: pwasm?.ttftMs ?? null,
      ruminateWasmPrefillTokS: pwasm?.prefillTokS ?? null,
      ruminateWasmDecodeTokS: pwasm?.decodeTokS ?? null,
      ruminateWasmBatch16TokS: pbw && pbw.sequences === 16 ? pbw.totalTokS : null,
      ruminateWasmBatchTokS: pbw?.totalTokS ?? null,
      ruminateWasmBatchOverSingle: pbw?.overSingle ?? null,
      wasmDecodeRatio: primary?.wasmDecodeRatio ?? null,
      wasmPrefillRatio: primary?.wasmPrefillRatio ?? null,
      wasmLoadRatio: pwasm && pw ? pwasm.loadMs / pw.loadMs : null,
      // N samples of M tokens from one new prompt: wall time (Ruminate: fork and step together;
      // wllama: N completions one after another, its fastest configuration).
      samples,
      sampleTokens,
      ruminateSamples16Ms: samples === 16 ? (samplesMs(pr) ?? null) : null,
      ruminateWasmSamples16Ms: samples === 16 ? (samplesMs(pwasm) ?? null) : null,
      wllamaSamples16Ms: samples === 16 ? (samplesMs(pws) ?? null) : null,
      wllamaSamplesEngine: pws?.engine ?? null,
      wasmSamplesSpeedup: primary?.wasmSamplesSpeedup ?? null,
      // transformers.js on the same weights (the converter's ONNX): its devices, and Ruminate's best backend against its best.
      transformersWasmDecodeTokS: primary?.transformersWasmDecodeTokS ?? null,
      transformersWebgpuDecodeTokS: primary?.transformersWebgpuDecodeTokS ?? null,
      transformersSamples16Ms: primary?.transformersSamples16Ms ?? null,
      transformersSamplesEngine: primary?.transformersSamplesEngine ?? null,
      ruminateBestDecodeTokS: primary?.ruminateBestDecodeTokS ?? null,
      ruminateBestSamples16Ms: primary?.ruminateBestSamples16Ms ?? null,
      decodeOverTransformers: primary?.decodeOverTransformers ?? null,
      samplesOverTransformers: primary?.samplesOverTransformers ?? null,
      wllamaConfig: pw
        ? {
            engine: pw.engine,
            build: build(pw),
            threads: pw.threads ?? null,
            chosenBy: 'highest decode tok/s of the configurations tried',
            tried: primary?.result.wllama.map((e) =>
              ok(e) ? { engine: e.engine, build: build(e), threads: e.threads ?? null } : e,
            ),
            notes: pw.notes.filter((n) => /thread|adapter|WebGPU/i.test(n)),
          }
        : null,
      models: rows,
    };
    const path = values.out ? resolve(values.out) : join(REPO_ROOT, 'bench', 'results', 'peers.json');
    mkdirSync(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(report, null, 1)}\n`);
    log(`wrote ${path}`);
    if (values.json) out(JSON.stringify(report));
    else {
      out(render(rows, samples, sampleTokens));
      out(
        `${report.date} — ${report.device}; ${report.machine.cpus} × ${report.machine.cpuModel}, load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} before`,
      );
    }
    return 0;
  },
};
