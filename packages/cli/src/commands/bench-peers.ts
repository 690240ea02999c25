import { existsSync, mkdirSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchPrompt, peerFixture } from '@ruminate/bench/peers/fixture.ts';
import type { BatchRun, EngineRun, PeersPageRequest, PeersPageResult } from '@ruminate/bench/peers/types.ts';
import { openBenchPage } from '@ruminate/bench/support/browser.ts';
import { RuminateError } from '@ruminate/errors';
import { log, out, table } from '../log.ts';
import type { BenchSuite } from './bench.ts';

const usage = [
  'ruminate bench peers [--model PATH]… [--prompt-tokens N] [--decode-tokens N] [--runs N] [--batch N] [--skip ENGINE]… [--out FILE] [--json]',
  '',
  '  The same GGUF in the same headless Chromium: Ruminate (WebGPU, in a Web Worker) vs @wllama/wllama',
  '  (wasm with navigator.hardwareConcurrency threads, and its WebGPU backend). Same prompt ids, greedy,',
  '  same token count. Without --model: the project-written 31M Q4_0 llama (.cache/fixtures/) and the',
  '  bundled models/mul-q8_0.gguf when present. ENGINE: ruminate, wllama-cpu, wllama-webgpu.',
  '  Writes bench/results/peers.json (or --out FILE, for trial runs).',
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
  /** Ruminate decode tok/s over wllama's best. */
  decodeRatio: number | null;
  /** Ruminate prefill tok/s over wllama's best path's prefill. */
  prefillRatio: number | null;
  /** Greedy texts equal over the shorter of the two (Ruminate vs wllama wasm), as a sanity check. */
  greedyAgreeChars: number | null;
  /** Prompt tokens each engine reports having processed (equal when the comparison is fair). */
  promptTokensByEngine: Record<string, number>;
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

function summarize(model: string, bytes: number, result: PeersPageResult): PeersModelRow {
  const candidates = result.wllama.filter(ok);
  const best = candidates.sort((a, b) => b.decodeTokS - a.decodeTokS)[0];
  const r = ok(result.ruminate) ? result.ruminate : undefined;
  const cpu = candidates.find((e) => e.engine.startsWith('wllama (wasm'));
  return {
    model,
    bytes,
    result,
    wllamaBest: best?.engine ?? null,
    decodeRatio: r && best ? r.decodeTokS / best.decodeTokS : null,
    prefillRatio: r && best ? r.prefillTokS / best.prefillTokS : null,
    greedyAgreeChars: r && cpu ? commonPrefix(r.text, cpu.text) : null,
    promptTokensByEngine: Object.fromEntries(
      [result.ruminate, ...result.wllama].filter(ok).map((e) => [e.engine, e.promptTokens]),
    ),
  };
}

function render(rows: PeersModelRow[]): string {
  const f = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
  const parts: string[] = [];
  for (const row of rows) {
    const { ruminate, wllama, batch } = row.result;
    const engines: Outcome[] = [ruminate, ...wllama];
    const cell = (e: Outcome, pick: (r: EngineRun) => number, d = 1) => (ok(e) ? f(pick(e), d) : 'n/a');
    const ratio = (pick: (r: EngineRun) => number, inverse = false) => {
      const best = wllama.filter(ok).map(pick);
      if (!ok(ruminate) || best.length === 0) return '—';
      const peer = inverse ? Math.min(...best) : Math.max(...best);
      return `${(pick(ruminate) / peer).toFixed(2)}×`;
    };
    parts.push(`${row.model} (${(row.bytes / 2 ** 20).toFixed(1)} MiB)`);
    parts.push(
      table(
        ['', ...engines.map((e) => e.engine), 'Ruminate / wllama best'],
        [
          ['load ms', ...engines.map((e) => cell(e, (r) => r.loadMs, 0)), ratio((r) => r.loadMs, true)],
          [
            'kernel tuning ms (first visit)',
            ...engines.map((e) => (ok(e) && e.tuneMs !== undefined ? f(e.tuneMs, 0) : '—')),
            '',
          ],
          [
            'TTFT ms (cold)',
            ...engines.map((e) => cell(e, (r) => r.ttftMs, 0)),
            ratio((r) => r.ttftMs, true),
          ],
          [
            'prefill tok/s',
            ...engines.map((e) => cell(e, (r) => r.prefillTokS)),
            ratio((r) => r.prefillTokS),
          ],
          ['decode tok/s', ...engines.map((e) => cell(e, (r) => r.decodeTokS)), ratio((r) => r.decodeTokS)],
          [
            `${batchOk(batch) ? batch.sequences : '?'} seqs, shared prompt, tok/s`,
            batchOk(batch) ? `${f(batch.totalTokS)} (${f(batch.overSingle, 2)}× one)` : batch.error,
            ...wllama.map(() => 'not measured'),
            '',
          ],
        ],
      ),
    );
    for (const e of engines) if (!ok(e)) parts.push(`  ${e.engine}: ${e.error}`);
    parts.push(
      '  ratio: Ruminate over the best wllama figure (for ms rows, the lowest; < 1 is better there)',
    );
    const counts = new Set(Object.values(row.promptTokensByEngine));
    if (counts.size > 1)
      parts.push(`  prompt token counts differ: ${JSON.stringify(row.promptTokensByEngine)}`);
    if (row.greedyAgreeChars !== null) {
      parts.push(
        `  greedy text: Ruminate and wllama (wasm) agree on the first ${row.greedyAgreeChars} characters`,
      );
    }
    parts.push('');
  }
  return parts.join('\n');
}

export const benchPeers: BenchSuite = {
  name: 'peers',
  summary: 'Ruminate vs wllama on the same GGUF in headless Chromium (bench/results/peers.json)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string', multiple: true },
        'prompt-tokens': { type: 'string', default: '64' },
        'decode-tokens': { type: 'string', default: '32' },
        runs: { type: 'string', default: '2' },
        batch: { type: 'string', default: '16' },
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
    if (!(promptCount >= 2 && decodeTokens >= 2 && runs >= 1 && batchSize >= 2)) {
      throw new RuminateError(
        'invalid-argument',
        '--prompt-tokens and --decode-tokens must be ≥ 2, --runs ≥ 1 and --batch ≥ 2.',
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
        const req: PeersPageRequest = {
          url: servedUrl(model),
          prompt: prompt.ids,
          promptText: prompt.text,
          decodeTokens,
          runs,
          batch: batchSize,
          skip: values.skip ?? [],
        };
        log(`${model}: ${req.prompt.length} prompt tokens, ${decodeTokens} new tokens, ${runs} timed runs…`);
        const result = await browser.page.evaluate(
          (r) => (window as unknown as { benchPeers: NonNullable<Window['benchPeers']> }).benchPeers(r),
          req,
        );
        rows.push(summarize(relative(REPO_ROOT, resolve(model)), bytes, result));
      }
    } finally {
      await browser.close();
    }
    const primary = rows[0];
    const pr = primary && ok(primary.result.ruminate) ? primary.result.ruminate : undefined;
    const pw = primary
      ? primary.result.wllama.filter(ok).sort((a, b) => b.decodeTokS - a.decodeTokS)[0]
      : undefined;
    const pb = primary && batchOk(primary.result.batch) ? primary.result.batch : undefined;
    const report = {
      date: new Date().toISOString(),
      device: primary?.result.page.adapter ?? 'unknown',
      browser: primary?.result.page.userAgent ?? 'unknown',
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
      models: rows,
    };
    const path = values.out ? resolve(values.out) : join(REPO_ROOT, 'bench', 'results', 'peers.json');
    mkdirSync(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(report, null, 1)}\n`);
    log(`wrote ${path}`);
    if (values.json) out(JSON.stringify(report));
    else {
      out(render(rows));
      out(
        `${report.date} — ${report.device}; ${report.machine.cpus} × ${report.machine.cpuModel}, load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} before`,
      );
    }
    return 0;
  },
};
