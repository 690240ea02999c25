import { parseArgs } from 'node:util';
import { createEngine, getTask, type RunRequest, resultToJson, runStrategy } from '@ruminate/controller';
import { RuminateError } from '@ruminate/errors';
import { RuminateEngine, type StepResult } from '@ruminate/runtime';
import { BACKEND_OPTIONS, BACKEND_USAGE, backendOptions } from '../backend-option.ts';
import type { Command } from '../command.ts';
import {
  CONSTRAINT_OPTIONS,
  CONSTRAINT_USAGE,
  type ConstraintValues,
  constraintOptions,
} from '../constraint-options.ts';
import { log, out } from '../log.ts';

const usage = [
  'ruminate generate --model PATH (--prompt TEXT | --tokens 1,2,3) [--max-tokens N] [--temperature T]',
  '                  [--seed S] [--top-k K] [--top-p P] [--context N] [--json]',
  '                  [--json-schema FILE | --json-object | --grammar FILE | --regex PATTERN]',
  '                  [--strategy NAME --n N [--task TASK]] [--backend auto|webgpu|wasm] [--threads N]',
  'ruminate generate --remote URL [--remote-model NAME] [--api-key KEY] --prompt TEXT --strategy NAME …',
  '',
  '  --model PATH      a GGUF file',
  '  --prompt TEXT     text to continue (tokenized with the model’s tokenizer, BOS as the model asks)',
  '  --tokens 1,2,3    token ids to continue instead of text',
  '  --max-tokens N    tokens to generate (default 32; stops early at an end-of-generation token)',
  '  --temperature T   0 is greedy (default 0)',
  '  --seed S          seed of the sequence’s random stream (default 0)',
  '  --json            print {"tokens","text","prefillTokS","decodeTokS"} to stdout',
  '  --strategy NAME   spend test-time compute: self-consistency, best-of-n, weighted-sc, adaptive-sc,',
  '                    deepconf, beam, dvts, particle-filter, … (the controller’s registry); with --json',
  '                    prints {"text","winner","answer","trace":[{text,tokens,score,…}],"plan","usage",…}',
  '  --n N             samples the strategy draws (default: the strategy’s own)',
  '  --remote URL      run the strategy on an OpenAI-compatible server instead (its /v1 base URL:',
  '                    ruminate serve, vLLM, llama-server); the same JSON as a local run',
  '  --remote-model N  the model to ask that server for (default: the first it lists)',
  '  --api-key KEY     the server\u2019s API key (default: $OPENAI_API_KEY when set)',
  '  --task TASK       take the verifier, step scorer, step delimiter, answer extraction and default',
  '                    --max-tokens from a registered task (mul: the bundled model’s)',
  '                    (with --strategy, --temperature defaults to the strategy’s own, 0.8 for sampling)',
  CONSTRAINT_USAGE,
  BACKEND_USAGE,
].join('\n');

/** Parses a number option, or throws invalid-argument naming it. */
function num(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n))
    throw new RuminateError('invalid-argument', `--${name} must be a number, got "${v}".`);
  return n;
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'Continue a prompt with a GGUF model (prints text, or JSON with tok/s)',
  usage,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        prompt: { type: 'string' },
        tokens: { type: 'string' },
        'max-tokens': { type: 'string' },
        temperature: { type: 'string' },
        seed: { type: 'string' },
        'top-k': { type: 'string' },
        'top-p': { type: 'string' },
        context: { type: 'string' },
        strategy: { type: 'string' },
        n: { type: 'string' },
        task: { type: 'string' },
        remote: { type: 'string' },
        'remote-model': { type: 'string' },
        'api-key': { type: 'string' },
        json: { type: 'boolean', default: false },
        ...CONSTRAINT_OPTIONS,
        ...BACKEND_OPTIONS,
      },
    });
    if (values.remote !== undefined) return runRemote(values);
    if (values.strategy !== undefined) return runWithStrategy(values);
    if (values.n !== undefined || values.task !== undefined) {
      log(`ruminate generate: --n and --task need --strategy\n\n${usage}`);
      return 2;
    }
    if (!values.model || (values.prompt === undefined) === (values.tokens === undefined)) {
      log(`ruminate generate: give --model and exactly one of --prompt / --tokens\n\n${usage}`);
      return 2;
    }
    const maxTokens = num(values['max-tokens'], 'max-tokens', 32);
    // Files are read and the constraint checked before the model loads.
    const constrained = constraintOptions(values);
    const sampling = {
      temperature: num(values.temperature, 'temperature', 0),
      seed: num(values.seed, 'seed', 0),
      ...(values['top-k'] ? { topK: num(values['top-k'], 'top-k', 0) } : {}),
      ...(values['top-p'] ? { topP: num(values['top-p'], 'top-p', 1) } : {}),
    };
    const { engine, info } = await loadEngine({ ...values, model: values.model }, 4);
    const prompt = values.tokens
      ? values.tokens.split(',').map((s) => num(s.trim(), 'tokens', 0))
      : await engine.tokenize(values.prompt ?? '', { addBos: true });
    // Warm-up on a different prompt of the same length: compiles the kernels for these shapes
    // without seeding the prefix cache with the real prompt.
    const warm = await engine.createSequence(
      prompt.map((t, i) => (i === prompt.length - 1 ? t : (t + 1) % info.vocabSize)),
    );
    await engine.step([{ seq: warm, sampling }]);
    await engine.step([{ seq: warm, sampling }]);
    await engine.free(warm);

    const seq = await engine.createSequence(prompt);
    if (constrained) {
      const c = await engine.constrain(seq, constrained.constraint);
      if (c)
        log(`${c.kind} constraint compiled in ${c.compileMs.toFixed(0)} ms${c.cached ? ' (cached)' : ''}`);
    }
    const generated: number[] = [];
    const tp = performance.now();
    let last: StepResult | undefined;
    [last] = await engine.step([{ seq, sampling }]);
    const prefillS = (performance.now() - tp) / 1000;
    if (last) generated.push(last.token);
    const td = performance.now();
    while (generated.length < maxTokens && last && !last.eos) {
      [last] = await engine.step([{ seq, sampling }]);
      if (last) generated.push(last.token);
    }
    const decodeS = (performance.now() - td) / 1000;
    const text = await engine.detokenize(generated);
    const prefillTokS = prompt.length / prefillS;
    const decodeTokS = generated.length > 1 ? (generated.length - 1) / decodeS : 0;
    await engine.unload();
    if (values.json) out(JSON.stringify({ tokens: generated, text, prefillTokS, decodeTokS }));
    else {
      out(text);
      log(
        `prefill ${prompt.length} tokens at ${prefillTokS.toFixed(1)} tok/s; decode ${generated.length} tokens at ${decodeTokS.toFixed(1)} tok/s`,
      );
    }
    return 0;
  },
};

/** Parsed options of `generate`. */
interface GenerateValues extends ConstraintValues {
  model?: string;
  prompt?: string;
  tokens?: string;
  'max-tokens'?: string;
  temperature?: string;
  seed?: string;
  'top-k'?: string;
  'top-p'?: string;
  context?: string;
  strategy?: string;
  n?: string;
  task?: string;
  json?: boolean;
  backend?: string;
  threads?: string;
  remote?: string;
  'remote-model'?: string;
  'api-key'?: string;
}

/** Builds the controller request of `generate --strategy` (task parts from `--task` when given). */
export function strategyRequest(values: GenerateValues): RunRequest {
  const task = values.task === undefined ? undefined : getTask(values.task);
  const req: RunRequest = { strategy: values.strategy ?? 'sample' };
  if (values.tokens !== undefined) {
    req.promptTokens = values.tokens.split(',').map((s) => num(s.trim(), 'tokens', 0));
  } else req.prompt = values.prompt ?? '';
  if (values.n !== undefined) req.samples = num(values.n, 'n', 1);
  const maxTokens = values['max-tokens'] ?? (task ? String(task.maxTokens) : undefined);
  req.maxTokens = num(maxTokens, 'max-tokens', 32);
  if (values.temperature !== undefined) req.temperature = num(values.temperature, 'temperature', 0);
  req.seed = num(values.seed, 'seed', 0);
  if (values['top-k'] !== undefined) req.topK = num(values['top-k'], 'top-k', 0);
  if (values['top-p'] !== undefined) req.topP = num(values['top-p'], 'top-p', 1);
  const constrained = constraintOptions(values);
  if (constrained) {
    req.constraint = constrained.constraint;
    if (constrained.schema) req.responseSchema = constrained.schema;
  }
  if (task) {
    req.verifier = task.verifier();
    req.stepScorer = task.stepScorer();
    req.answer = task.answer;
    req.delimiter = task.stepDelimiter;
  }
  return req;
}

/**
 * A runtime engine with the model loaded, for one generation. It serves cached kernel winners
 * but starts no background tuning: tuning would share the device with the run whose tok/s this
 * command reports (`ruminate tune` tunes; the winners are used here).
 */
async function loadEngine(values: GenerateValues & { model: string }, maxSequences: number) {
  const engine = new RuminateEngine({ maxSequences, tuning: 'cache', ...backendOptions(values) });
  const t0 = performance.now();
  const info = await engine.load(
    { path: values.model },
    values.context ? { contextLength: num(values.context, 'context', 0) } : {},
  );
  const where =
    info.backend === 'wasm' ? `wasm, ${info.threads?.count ?? 1} threads` : (info.backend ?? 'webgpu');
  log(
    `loaded ${info.architecture} ${info.weightType} (${(info.weightBytes / 2 ** 20).toFixed(1)} MiB) on ${where} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { engine, info };
}

/** `generate --remote URL`: the strategy runs here, its samples on an OpenAI-compatible server. */
async function runRemote(values: GenerateValues): Promise<number> {
  if (values.prompt === undefined || values.tokens !== undefined || values.model !== undefined) {
    log(
      `ruminate generate --remote: give --prompt (not --model or --tokens: the server holds the model)\n\n${usage}`,
    );
    return 2;
  }
  const apiKey = values['api-key'] ?? process.env.OPENAI_API_KEY;
  const client = await createEngine({
    remote: {
      baseURL: values.remote as string,
      ...(values['remote-model'] !== undefined ? { model: values['remote-model'] } : {}),
      ...(apiKey ? { apiKey } : {}),
    },
  });
  const req = strategyRequest(values);
  const result = await client.run(req);
  if (values.json) out(JSON.stringify(resultToJson(result)));
  else {
    out(result.text ?? '(abstained)');
    log(
      `${req.strategy} on ${client.chosen.name}: ${result.trace.length} candidates, winner ${result.winner ?? '–'}; ${result.usage.generatedTokens} tokens in ${(result.usage.timeMs / 1000).toFixed(1)} s`,
    );
  }
  return 0;
}

/** `generate --strategy`: one controller run (runStrategy) on the runtime engine; JSON via resultToJson. */
async function runWithStrategy(values: GenerateValues): Promise<number> {
  if (!values.model || (values.prompt === undefined) === (values.tokens === undefined)) {
    log(`ruminate generate: give --model and exactly one of --prompt / --tokens\n\n${usage}`);
    return 2;
  }
  const req = strategyRequest(values);
  const { engine } = await loadEngine(values as GenerateValues & { model: string }, 64);
  try {
    const result = await runStrategy(engine, req);
    if (values.json) out(JSON.stringify(resultToJson(result)));
    else {
      out(result.text ?? '(abstained)');
      const u = result.usage;
      log(
        `${req.strategy}: ${result.trace.length} candidates, winner ${result.winner ?? '–'}${result.answer !== null ? `, answer ${result.answer}` : ''}; ${u.generatedTokens} tokens in ${(u.timeMs / 1000).toFixed(1)} s (${((u.generatedTokens * 1000) / Math.max(u.timeMs, 1)).toFixed(1)} tok/s)`,
      );
    }
  } finally {
    await engine.unload();
  }
  return 0;
}
