// `ruminate bench decode --constrained`: the decode step time of sequences constrained by a JSON
// Schema against free ones, same model, same prompts, same seeds, on either backend. A free batch
// and a constrained batch of the same size live side by side and their steps alternate one by
// one (the order flipping every step), and per-step medians are compared, so that load from other
// processes on a shared machine falls on both alike. A constrained sequence whose object is
// complete (its step reports the end token) is constrained again at once, outside the timed step,
// so every measured step computes a real grammar mask.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { peerFixture } from '@ruminate/bench/peers/fixture.ts';
import { RuminateError } from '@ruminate/errors';
import { type Constraint, RuminateEngine, type SeqId } from '@ruminate/runtime';
import { BACKEND_OPTIONS, backendOptions } from '../backend-option.ts';
import { log, out, table } from '../log.ts';

/** Usage of `bench decode --constrained`. */
export const CONSTRAINED_USAGE = [
  'ruminate bench decode --constrained [--model PATH] [--backend webgpu|wasm] [--threads N]',
  '                       [--sequences 1,16] [--prompt-tokens N] [--decode-tokens N] [--repeats N] [--json]',
  '',
  '  Decode step time of free sequences against sequences constrained by a JSON Schema (6',
  '  properties: bounded strings, bounded integers, a boolean, an array of at most 4 enums), at',
  '  each batch size: a free and a constrained batch step alternately, --decode-tokens steps each,',
  '  --repeats times (fresh sequences), per-step medians compared. A constrained sequence that',
  '  completes its object is constrained again (restarts counted),',
  '  so every measured step masks. Without --model: the 31M Q4_0 peers fixture (.cache/fixtures/).',
  '  Writes bench/results/decode-constrained-<backend>.json.',
].join('\n');

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/** The benchmark's schema: several properties, every string and integer bounded. */
export const BENCH_SCHEMA: Record<string, unknown> = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 4, maxLength: 24 },
    city: { type: 'string', minLength: 4, maxLength: 24 },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    score: { type: 'integer', minimum: -100000, maximum: 100000 },
    active: { type: 'boolean' },
    tags: {
      type: 'array',
      items: { enum: ['alpha', 'beta', 'gamma', 'delta'] },
      minItems: 1,
      maxItems: 4,
    },
  },
  required: ['name', 'city', 'age', 'score', 'active', 'tags'],
};

/** One batch size's measurement. */
interface ConstrainedRow {
  /** Sequences stepped together. */
  sequences: number;
  /** Median step time of the free batch over every measured step (ms). */
  freeStepMs: number;
  /** The same for the constrained batch (ms). */
  constrainedStepMs: number;
  /** constrainedStepMs / freeStepMs. */
  ratio: number;
  /** Median over steps of (constrained step / the free step next to it): robust to load drift. */
  pairedRatio: number;
  /** The target ratio (1.15 at one sequence, 1.3 above). */
  target: number;
  /** Mean step times (ms), free and constrained (spikes included). */
  meanMs: { free: number; constrained: number };
  /** Steps measured per batch. */
  steps: number;
  /** Constrained objects completed (and constrained again) during the measured steps, all repeats. */
  restarts: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Runs `bench decode --constrained` with the arguments after `decode`. */
export async function runConstrainedBench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      constrained: { type: 'boolean', default: true },
      model: { type: 'string' },
      ...BACKEND_OPTIONS,
      sequences: { type: 'string', default: '1,16' },
      'prompt-tokens': { type: 'string', default: '32' },
      'decode-tokens': { type: 'string', default: '32' },
      repeats: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    },
  });
  const promptTokens = Number(values['prompt-tokens']);
  const steps = Number(values['decode-tokens']);
  const repeats = Number(values.repeats);
  const sizes = values.sequences.split(',').map(Number);
  if (
    !(promptTokens >= 1 && steps >= 2 && Number.isInteger(repeats) && repeats >= 1) ||
    !sizes.every((n) => Number.isInteger(n) && n >= 1)
  ) {
    throw new RuminateError(
      'invalid-argument',
      '--prompt-tokens must be ≥ 1, --decode-tokens ≥ 2, --repeats ≥ 1 and --sequences positive integers.',
    );
  }
  const opts = backendOptions(values);
  const model = values.model ?? (await peerFixture());
  // No background tuning: it would compete with the measured steps (cached winners still serve).
  const engine = new RuminateEngine({ maxSequences: 2 * Math.max(...sizes), tuning: 'cache', ...opts });
  const contextLength = promptTokens + steps + 16;
  // Pages for both batches at full length (the default assumes a few long sequences).
  const kvPages = 2 * Math.max(...sizes) * Math.ceil(contextLength / 16) + 8;
  const info = await engine.load({ path: model }, { contextLength, kvPages });
  const backend = info.backend ?? opts.backend ?? 'auto';
  log(
    `${backend}: ${info.architecture} ${info.weightType}, ${(info.parameters / 1e6).toFixed(1)}M parameters, vocabulary ${info.vocabSize}`,
  );
  const constraint: Constraint = { kind: 'json_schema', schema: BENCH_SCHEMA };
  const vocab = info.vocabSize;
  let salt = 0;
  const prompt = () => {
    salt++;
    return Array.from({ length: promptTokens }, (_, i) => (i * 31 + salt * 977 + 1) % vocab);
  };

  /** Fresh free and constrained batches of `n`, stepped alternately `count` times: per-step ms. */
  const run = async (n: number, count: number) => {
    const batches: SeqId[][] = [[], []];
    for (const [k, seqs] of batches.entries()) {
      for (let i = 0; i < n; i++) {
        const seq = await engine.createSequence(prompt());
        if (k === 1) await engine.constrain(seq, constraint);
        seqs.push(seq);
      }
      await engine.step(seqs.map((seq) => ({ seq, sampling: { temperature: 0 } }))); // prefill
    }
    const ms: [number[], number[]] = [[], []];
    let restarts = 0;
    for (let s = 0; s < count; s++) {
      for (const k of s % 2 === 0 ? [0, 1] : [1, 0]) {
        const seqs = batches[k] as SeqId[];
        const t0 = performance.now();
        const results = await engine.step(
          seqs.map((seq) => ({ seq, sampling: { temperature: 1, seed: s } })),
        );
        ms[k]?.push(performance.now() - t0);
        if (k === 0) continue;
        for (const r of results) {
          if (!r.eos) continue;
          await engine.constrain(r.seq, constraint); // outside the timed step
          restarts++;
        }
      }
    }
    for (const seq of batches.flat()) await engine.free(seq);
    return { free: ms[0], constrained: ms[1], restarts };
  };

  // Warm-up: every kernel shape, the grammar's compilation and XGrammar's first matchers.
  const warmT0 = performance.now();
  for (const n of sizes) await run(n, 2);
  log(`warm-up (kernels, grammar compilation) ${((performance.now() - warmT0) / 1000).toFixed(1)} s`);
  const mean = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const path = join(REPO_ROOT, 'bench', 'results', `decode-constrained-${backend}.json`);
  const rows: ConstrainedRow[] = [];
  const result = {
    date: new Date().toISOString(),
    backend,
    ...(info.threads ? { threads: info.threads.count } : {}),
    model: {
      path: model,
      architecture: info.architecture,
      weightType: info.weightType,
      parameters: info.parameters,
    },
    schema: BENCH_SCHEMA,
    promptTokens,
    decodeTokens: steps,
    repeats,
    rows,
  };
  /** Writes the rows measured so far (a slow adapter may not reach the last batch size). */
  const save = async () => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
  };
  for (const n of sizes) {
    const free: number[] = [];
    const constrained: number[] = [];
    let restarts = 0;
    for (let r = 0; r < repeats; r++) {
      const res = await run(n, steps);
      free.push(...res.free);
      constrained.push(...res.constrained);
      restarts += res.restarts;
    }
    const freeStepMs = median(free);
    const constrainedStepMs = median(constrained);
    rows.push({
      sequences: n,
      freeStepMs,
      constrainedStepMs,
      ratio: constrainedStepMs / freeStepMs,
      pairedRatio: median(constrained.map((c, i) => c / (free[i] as number))),
      target: n === 1 ? 1.15 : 1.3,
      meanMs: { free: mean(free), constrained: mean(constrained) },
      steps: free.length,
      restarts,
    });
    log(
      `${n} sequences: free ${freeStepMs.toFixed(2)} ms, constrained ${constrainedStepMs.toFixed(2)} ms (medians)`,
    );
    await save();
  }
  await engine.unload();
  if (values.json) out(JSON.stringify(result));
  else {
    out(
      table(
        [
          'backend',
          'sequences',
          'free step ms',
          'constrained step ms',
          'constrained/free',
          'paired',
          'target',
          'restarts',
        ],
        rows.map((r) => [
          backend,
          r.sequences,
          r.freeStepMs.toFixed(2),
          r.constrainedStepMs.toFixed(2),
          `${r.ratio.toFixed(2)}×`,
          `${r.pairedRatio.toFixed(2)}×`,
          `≤ ${r.target}×`,
          r.restarts,
        ]),
      ),
    );
    log(`wrote ${path}`);
  }
  return 0;
}
