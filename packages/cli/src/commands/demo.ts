import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine, getTask } from '@ruminate/controller';
import { RuminateEngine } from '@ruminate/runtime';
import { BACKEND_OPTIONS, BACKEND_USAGE, backendOptions } from '../backend-option.ts';
import type { Command } from '../command.ts';
import { log, out } from '../log.ts';
import { readProblems } from './eval.ts';

/** The bundled default model and its held-out problems. */
const MODEL = join('models', 'mul-q8_0.gguf');
const PROBLEMS = join('models', 'mul-eval.jsonl');

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Ruminate’s main job on the bundled model: solve sample problems with test-time scaling',
  usage: [
    'ruminate demo [--problems N] [--strategy S] [--seed S] [--backend auto|webgpu|wasm] [--threads N]',
    '',
    '  Loads the bundled model (models/mul-q8_0.gguf, two-digit multiplication with worked steps),',
    '  solves N held-out problems (default 3) with best-of-8 under a verifier that re-checks the',
    '  written work (it never sees the answer), and prints each answer, the verdicts and tok/s.',
    BACKEND_USAGE,
  ].join('\n'),
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        problems: { type: 'string', default: '3' },
        strategy: { type: 'string', default: 'bon@8' },
        seed: { type: 'string', default: '7' },
        ...BACKEND_OPTIONS,
      },
    });
    const task = getTask('mul');
    let tuningAnnounced = false;
    const runtime = new RuminateEngine({
      maxSequences: 32,
      ...backendOptions(values),
      // Only a first run on a device has shapes left to tune; later runs reuse the cached winners.
      onTuningProgress: () => {
        if (tuningAnnounced) return;
        tuningAnnounced = true;
        log('tuning the kernels for this device in the background (first run only; the winners are cached)');
      },
    });
    const t0 = performance.now();
    const engine = await createEngine({ engine: runtime, model: { path: MODEL }, measure: false });
    const info = await runtime.info();
    const where =
      info?.backend === 'wasm' ? `wasm, ${info.threads?.count ?? 1} threads` : (info?.backend ?? 'webgpu');
    log(
      `loaded ${MODEL} (${info?.parameters.toLocaleString()} parameters, ${info?.weightType}) on ${where} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const problems = readProblems(PROBLEMS).slice(0, Number(values.problems));
    let solved = 0;
    for (const problem of problems) {
      const started = performance.now();
      const r = await engine.completions.create({
        prompt: problem.prompt,
        strategy: values.strategy,
        temperature: 0.8,
        max_tokens: task.maxTokens,
        seed: Number(values.seed) * 1000 + problem.id,
        verifier: task.verifier(),
        step_scorer: task.stepScorer(),
        step_delimiter: task.stepDelimiter,
        answer: task.answer,
      });
      const seconds = (performance.now() - started) / 1000;
      const text = r.choices[0]?.text ?? '';
      const answer = task.extract(text);
      if (answer === problem.answer) solved++;
      const trace = r.ruminate.trace;
      const passed = trace.filter((c) => c.passed).length;
      const votes = new Map<string, number>();
      for (const c of trace) {
        const a = task.extract(c.text) ?? '∅';
        votes.set(a, (votes.get(a) ?? 0) + 1);
      }
      const tokens = r.usage.completion_tokens;
      out(
        `\n${problem.prompt}  →  ${answer ?? '(no answer)'}   ${answer === problem.answer ? '✓ correct' : `✗ (reference ${problem.answer})`}`,
      );
      out(`  winner:   ${text}`);
      out(`  verifier: ${passed}/${trace.length} candidates' work checks out`);
      out(
        `  answers:  ${[...votes]
          .sort((a, b) => b[1] - a[1])
          .map(([a, n]) => `${a}×${n}`)
          .join('  ')}`,
      );
      for (const c of trace.slice(0, 8)) {
        out(
          `    ${c.passed ? 'pass' : 'fail'}  ${c.text.padEnd(52)} ${c.passed ? '' : (c.events.find((e) => e.type === 'scored')?.detail ?? '')}`,
        );
      }
      out(
        `  ${tokens} tokens in ${seconds.toFixed(1)} s: ${(tokens / seconds).toFixed(1)} tok/s over ${trace.length} sequences`,
      );
    }
    out(`\nsolved ${solved}/${problems.length} with ${values.strategy}`);
    await runtime.unload();
    return 0;
  },
};
