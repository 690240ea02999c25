import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RuminateError } from '@ruminate/errors';
import {
  FileTuningStore,
  type KernelContext,
  kernelContextFor,
  MemoryTuningStore,
  type PassTime,
  profilePasses,
  requestDevice,
  Tuner,
  trackAllocations,
  tuningIdentity,
} from '@ruminate/gpu';
import { openFileSource, parseGguf, RuminateEngine, tuneModelKernels } from '@ruminate/runtime';
import { log, out, table } from '../log.ts';
import {
  type BandwidthLimitRow,
  bandwidthLimit,
  measureCopyGBps,
  weightBytesPerStep,
} from './bandwidth-limit.ts';
import type { BenchSuite } from './bench.ts';
import { CONSTRAINED_USAGE, runConstrainedBench } from './bench-decode-constrained.ts';

const usage = [
  'ruminate bench decode --model PATH [--prompt-tokens N] [--decode-tokens N] [--kernels default,tuned,f32-activations]',
  '                       [--sequences 1,4,16] [--budget-ms N] [--fresh] [--profile] [--out FILE] [--json]',
  '',
  '  Prefill and decode tok/s with 1, 4 and 16 sequences (--sequences) stepped together (distinct',
  '  prompts), and as many samples forked from one shared prompt as the largest count, each against',
  '  the bandwidth limit (weights + KV bytes a step reads ÷ the copy bandwidth), with the shipped default kernels and with the',
  "  kernels tuned for this model on this device (the engine's background tuning, awaited; its",
  '  time is reported; --fresh ignores cached winners). --profile adds the GPU time of each op in',
  '  one greedy single-sequence decode step (timestamp queries). f32-activations: the defaults with',
  '  activations kept in f32 where the device would round them to 8 bits for q4_0 (CPU adapters).',
  '  Writes bench/results/decode.json (--out: FILE instead).',
  '',
  CONSTRAINED_USAGE,
].join('\n');

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/** GPU memory of one run: what the model needs and the most the engine and its ops held. */
interface GpuMemoryRow {
  weightBytes: number;
  kvBytes: number;
  /** Peak bytes of every GPU buffer created after the engine was made (weights, KV, scratch, uniforms). */
  peakBytes: number;
  /** peakBytes / (weights + KV) − 1: the target is ≤ 0.15. */
  overheadFraction: number;
}

/** One measured configuration. */
interface DecodeRow {
  /** Shipped default kernels, the ones tuned for this model on this device, or the defaults without 8-bit activations. */
  kernels: 'default' | 'tuned' | 'f32-activations';
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
  summary:
    'prefill and decode tok/s at 1, 4, 16 parallel sequences (bench/results/decode.json); ' +
    '--constrained: JSON-Schema-constrained vs free step time (bench/results/decode-constrained-<backend>.json)',
  async run(argv) {
    if (argv.includes('--constrained')) return runConstrainedBench(argv);
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        'prompt-tokens': { type: 'string', default: '64' },
        'decode-tokens': { type: 'string', default: '16' },
        kernels: { type: 'string', default: 'default,tuned' },
        'budget-ms': { type: 'string' },
        fresh: { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        sequences: { type: 'string', default: '1,4,16' },
        out: { type: 'string' },
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
    const modes = values.kernels.split(',') as DecodeRow['kernels'][];
    if (!modes.every((m) => m === 'default' || m === 'tuned' || m === 'f32-activations')) {
      throw new RuminateError(
        'invalid-argument',
        '--kernels takes default, tuned and f32-activations (comma-separated).',
      );
    }
    const counts = values.sequences.split(',').map(Number);
    if (!counts.every((n) => Number.isInteger(n) && n >= 1)) {
      throw new RuminateError('invalid-argument', '--sequences takes counts ≥ 1, comma-separated (1,4,16).', {
        field: 'sequences',
      });
    }
    const widest = Math.max(...counts);
    const source = await openFileSource(values.model);
    const header = await parseGguf(source);
    await source.close?.();
    const acquired = await requestDevice();
    const base: KernelContext = kernelContextFor(acquired);
    const copy = await measureCopyGBps(acquired.device);
    log(
      `copy bandwidth ${copy.gbps.toFixed(1)} GB/s (read + written; ${copy.small.gbps.toFixed(1)} GB/s for one 64 MiB copy)`,
    );
    /** KV bytes per position (all layers, K and V), read from the engine's memory report. */
    let kvBytesPerPosition = 0;
    const rows: DecodeRow[] = [];
    /** Peak GPU bytes allocated per kernel mode, against weights + KV. */
    const memory: Partial<Record<DecodeRow['kernels'], GpuMemoryRow>> = {};
    let info: Awaited<ReturnType<RuminateEngine['load']>> | undefined;
    let tuning: { seconds: number; problems: number; cached: number; untimed: number } | undefined;
    /** With --profile: GPU ms per op label in one decode step, per kernel mode. */
    const profiles: Partial<Record<DecodeRow['kernels'], PassTime[]>> = {};
    for (const mode of modes) {
      let ctx = base;
      if (mode === 'f32-activations') ctx = { ...base, q8Activations: false };
      if (mode === 'tuned') {
        const store = values.fresh ? new MemoryTuningStore() : new FileTuningStore();
        const tuner = await Tuner.open(acquired.device, tuningIdentity(acquired.info), store);
        ctx = { ...base, tuned: tuner.lookup };
        const t0 = performance.now();
        const { report } = await tuneModelKernels(ctx, tuner, header.tensors, {
          architecture: acquired.info.architecture,
          ...(values['budget-ms'] ? { budgetMs: Number(values['budget-ms']) } : {}),
        });
        tuning = {
          seconds: (performance.now() - t0) / 1000,
          problems: report.results.length,
          cached: report.results.filter((r) => r.cached).length,
          untimed: report.results.filter((r) => !r.cached && r.timed === 0).length,
        };
        log(
          `tuned ${tuning.problems - tuning.untimed} of ${tuning.problems} matmul problems in ${tuning.seconds.toFixed(1)} s (${tuning.cached} cached; ${tuning.untimed} left for the next run)`,
        );
      }
      // Every GPU buffer the engine and its ops create from here on, against what the model needs.
      const allocations = trackAllocations(acquired.device);
      const engine = new RuminateEngine({ kernelContext: async () => ctx, maxSequences: 40 });
      info = await engine.load({ path: values.model }, { contextLength: promptTokens + decodeTokens + 16 });
      log(
        `${mode} kernels: ${info.architecture} ${info.weightType}, ${(info.parameters / 1e6).toFixed(1)}M parameters`,
      );
      const vocab = info.vocabSize;
      let salt = 0;
      const prompt = () => {
        salt++;
        return Array.from({ length: promptTokens }, (_, i) => (i * 31 + salt * 977 + 1) % vocab);
      };
      const sampling = { temperature: 0 };
      const measure = async (n: number, shared: boolean, steps: number): Promise<DecodeRow> => {
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
        for (let s = 0; s < steps; s++)
          await engine.step(seqs.map((seq) => ({ seq, sampling: { temperature: 1, seed: s } })));
        const decodeS = (performance.now() - t1) / 1000;
        const mem = await engine.memory();
        for (const s of seqs) await engine.free(s);
        return {
          kernels: mode,
          sequences: n,
          sharedPrompt: shared,
          promptTokens,
          prefillTokS: ((shared ? 1 : n) * promptTokens) / prefillS,
          decodeTokS: (n * steps) / decodeS,
          kvPagesUsed: mem.pagesUsed,
        };
      };
      // Warm-up: compiles every kernel shape the runs use (1, 4, 16 rows; prompt-sized passes).
      for (const n of counts) await measure(n, false, 2);
      for (const n of counts) rows.push(await measure(n, false, decodeTokens));
      if (widest > 1) rows.push(await measure(widest, true, decodeTokens));
      if (values.profile) {
        const profile = await profileStep(engine, acquired.device, prompt(), 4);
        if (profile) profiles[mode] = profile;
        else log('--profile: this device has no timestamp-query feature; no profile');
      }
      const mem = await engine.memory();
      kvBytesPerPosition = mem.bytesPerPage / mem.pageTokens;
      memory[mode] = {
        weightBytes: mem.weightBytes,
        kvBytes: mem.kvBytes,
        peakBytes: allocations.peakBytes(),
        overheadFraction: allocations.peakBytes() / (mem.weightBytes + mem.kvBytes) - 1,
      };
      await engine.unload();
      allocations.dispose();
    }
    if (!info) throw new RuminateError('invalid-argument', '--kernels named no configuration to run.');
    const single = (mode: DecodeRow['kernels']) =>
      rows.find((r) => r.kernels === mode && r.sequences === 1 && !r.sharedPrompt)?.decodeTokS;
    const last = modes.at(-1) as DecodeRow['kernels'];
    const batch16 = rows.find((r) => r.kernels === last && r.sequences === 16 && !r.sharedPrompt)?.decodeTokS;
    // Decoding D tokens after a P-token prompt attends to P + 1 … P + D positions: P + (D + 1) / 2 on average.
    const weightBytes = weightBytesPerStep(header.tensors);
    const limits: (BandwidthLimitRow & Pick<DecodeRow, 'kernels' | 'sharedPrompt'>)[] = rows.map((r) => ({
      kernels: r.kernels,
      sharedPrompt: r.sharedPrompt,
      ...bandwidthLimit({
        weightBytes,
        kvBytesPerPosition,
        sequences: r.sequences,
        positions: promptTokens + (decodeTokens + 1) / 2,
        copyGBps: copy.gbps,
        decodeTokS: r.decodeTokS,
      }),
    }));
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
      ...(tuning ? { tuning } : {}),
      memory,
      bandwidthLimit: { copy, weightBytesPerStep: weightBytes, kvBytesPerPosition, rows: limits },
      ...(values.profile ? { profile: profiles } : {}),
      batch16OverSingle: (batch16 ?? 0) / (single(last) ?? 1),
      ...(modes.length === 2 ? { tunedOverDefault: (single('tuned') ?? 0) / (single('default') ?? 1) } : {}),
    };
    const path = values.out ?? join(REPO_ROOT, 'bench', 'results', 'decode.json');
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
    if (values.json) out(JSON.stringify(result));
    else {
      out(
        table(
          [
            'kernels',
            'sequences',
            'shared prompt',
            'prefill tok/s',
            'decode tok/s',
            'bandwidth limit',
            'KV pages',
          ],
          rows.map((r, i) => [
            r.kernels,
            r.sequences,
            r.sharedPrompt ? 'yes' : 'no',
            r.prefillTokS.toFixed(1),
            r.decodeTokS.toFixed(1),
            `${(100 * (limits[i]?.ratio ?? 0)).toFixed(1)}% of ${(limits[i]?.limitTokS ?? 0).toFixed(0)}`,
            r.kvPagesUsed,
          ]),
        ),
      );
      for (const [mode, m] of Object.entries(memory)) {
        const mib = (b: number) => (b / 2 ** 20).toFixed(1);
        log(
          `${mode} kernels: GPU memory peak ${mib(m.peakBytes)} MiB = weights ${mib(m.weightBytes)} + KV ${mib(m.kvBytes)} MiB + ${(100 * m.overheadFraction).toFixed(1)}%`,
        );
      }
      for (const [mode, times] of Object.entries(profiles)) {
        const total = times.reduce((sum, t) => sum + t.ms, 0);
        out(`\none greedy decode step, ${mode} kernels: ${total.toFixed(1)} ms of GPU passes`);
        out(
          table(
            ['op', 'passes', 'ms', 'share'],
            times.map((t) => [t.label, t.passes, t.ms.toFixed(2), `${((100 * t.ms) / total).toFixed(1)}%`]),
          ),
        );
      }
      if (result.tunedOverDefault !== undefined)
        log(
          `tuned kernels decode one sequence at ${result.tunedOverDefault.toFixed(2)}× the shipped defaults`,
        );
      log(
        `16 sequences decode at ${result.batch16OverSingle.toFixed(2)}× one sequence (${last} kernels); copy bandwidth ${copy.gbps.toFixed(1)} GB/s; wrote ${path}`,
      );
    }
    return 0;
  },
};

/**
 * GPU ms per op label of one greedy decode step of one sequence (the mean over `steps` steps,
 * after the prompt and two warm-up steps), or undefined without timestamp queries.
 */
async function profileStep(
  engine: RuminateEngine,
  device: GPUDevice,
  prompt: number[],
  steps: number,
): Promise<PassTime[] | undefined> {
  const profiler = profilePasses(device);
  if (!profiler) return undefined;
  try {
    const seq = await engine.createSequence(prompt);
    const sampling = { temperature: 0 };
    for (let i = 0; i < 3; i++) await engine.step([{ seq, sampling }]);
    profiler.start();
    for (let i = 0; i < steps; i++) await engine.step([{ seq, sampling }]);
    const times = await profiler.stop();
    await engine.free(seq);
    return times.map((t) => ({ label: t.label, passes: t.passes / steps, ms: t.ms / steps }));
  } finally {
    profiler.dispose();
  }
}
