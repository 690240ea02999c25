import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PipelineCache, RuminateError, requestDevice } from '@ruminate/gpu';
import { RuminateEngine } from '@ruminate/runtime';
import { log, out, table } from '../log.ts';
import type { BenchSuite } from './bench.ts';

const usage = [
  'ruminate bench decode --model PATH [--prompt-tokens N] [--decode-tokens N] [--json]',
  '',
  '  Prefill and decode tok/s with 1, 4 and 16 sequences stepped together (distinct prompts),',
  '  and 16 samples forked from one shared prompt. Writes bench/results/decode.json.',
].join('\n');

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/** One measured configuration. */
interface DecodeRow {
  /** Sequences stepped together. */
  sequences: number;
  /** Whether the sequences were forked from one shared prompt. */
  sharedPrompt: boolean;
  /** Prompt tokens per sequence. */
  promptTokens: number;
  /** Total prompt tokens computed per second (all sequences). */
  prefillTokS: number;
  /** Total generated tokens per second (all sequences). */
  decodeTokS: number;
  /** KV pages in use after decoding. */
  kvPagesUsed: number;
}

export const benchDecode: BenchSuite = {
  name: 'decode',
  summary: 'prefill and decode tok/s at 1, 4, 16 parallel sequences (bench/results/decode.json)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        'prompt-tokens': { type: 'string', default: '64' },
        'decode-tokens': { type: 'string', default: '16' },
        json: { type: 'boolean', default: false },
      },
    });
    if (!values.model) {
      log(`ruminate bench decode: --model is required\n\n${usage}`);
      return 2;
    }
    const promptTokens = Number(values['prompt-tokens']);
    const decodeTokens = Number(values['decode-tokens']);
    if (!(promptTokens >= 1 && decodeTokens >= 2)) {
      throw new RuminateError('invalid-argument', '--prompt-tokens must be ≥ 1 and --decode-tokens ≥ 2.');
    }
    const acquired = await requestDevice();
    const ctx = {
      device: acquired.device,
      pipelines: new PipelineCache(acquired.device),
      features: new Set(acquired.features),
      limits: acquired.limits,
    };
    const engine = new RuminateEngine({ kernelContext: async () => ctx, maxSequences: 40 });
    const info = await engine.load(
      { path: values.model },
      { contextLength: promptTokens + decodeTokens + 16 },
    );
    log(`model: ${info.architecture} ${info.weightType}, ${(info.parameters / 1e6).toFixed(1)}M parameters`);
    const vocab = info.vocabSize;
    let salt = 0;
    const prompt = () => {
      salt++;
      return Array.from({ length: promptTokens }, (_, i) => (i * 31 + salt * 977 + 1) % vocab);
    };
    const sampling = { temperature: 0 };
    const measure = async (n: number, shared: boolean): Promise<DecodeRow> => {
      let seqs: number[];
      const t0 = performance.now();
      if (shared) {
        const root = await engine.createSequence(prompt());
        await engine.step([{ seq: root, sampling }]);
        seqs = [root, ...(await engine.fork(root, n - 1))];
      } else {
        seqs = [];
        for (let i = 0; i < n; i++) seqs.push(await engine.createSequence(prompt()));
        await engine.step(seqs.map((seq) => ({ seq, sampling })));
      }
      const prefillS = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      for (let s = 0; s < decodeTokens; s++)
        await engine.step(seqs.map((seq) => ({ seq, sampling: { temperature: 1, seed: s } })));
      const decodeS = (performance.now() - t1) / 1000;
      const mem = await engine.memory();
      for (const s of seqs) await engine.free(s);
      return {
        sequences: n,
        sharedPrompt: shared,
        promptTokens,
        prefillTokS: ((shared ? 1 : n) * promptTokens) / prefillS,
        decodeTokS: (n * decodeTokens) / decodeS,
        kvPagesUsed: mem.pagesUsed,
      };
    };
    // Warm-up: compiles every kernel shape the runs use (1, 4, 16 rows; prompt-sized passes).
    for (const n of [1, 4, 16]) await measure(n, false);
    const rows: DecodeRow[] = [];
    for (const n of [1, 4, 16]) rows.push(await measure(n, false));
    rows.push(await measure(16, true));
    await engine.unload();
    const result = {
      date: new Date().toISOString(),
      adapter: {
        vendor: acquired.info.vendor,
        architecture: acquired.info.architecture,
        description: acquired.info.description,
      },
      model: {
        path: values.model,
        architecture: info.architecture,
        weightType: info.weightType,
        parameters: info.parameters,
      },
      promptTokens,
      decodeTokens,
      rows,
      batch16OverSingle: (rows[2]?.decodeTokS ?? 0) / (rows[0]?.decodeTokS ?? 1),
    };
    const path = join(REPO_ROOT, 'bench', 'results', 'decode.json');
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
    if (values.json) out(JSON.stringify(result));
    else {
      out(
        table(
          ['sequences', 'shared prompt', 'prefill tok/s', 'decode tok/s', 'KV pages'],
          rows.map((r) => [
            r.sequences,
            r.sharedPrompt ? 'yes' : 'no',
            r.prefillTokS.toFixed(1),
            r.decodeTokS.toFixed(1),
            r.kvPagesUsed,
          ]),
        ),
      );
      log(`16 sequences decode at ${result.batch16OverSingle.toFixed(2)}× one sequence; wrote ${path}`);
    }
    return 0;
  },
};
