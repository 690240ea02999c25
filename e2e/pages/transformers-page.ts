// Ruminate's strategies over transformers.js in the page: `createEngine({ engine: transformersEngine(…) })`
// on the bundled model's ONNX folder, then self-consistency and best-of-N with the task's
// checking verifier (mul-check-work), and greedy tokens with their top-2 margins for the
// parity check against Ruminate's own engine on the same page. Query: ?device=wasm|webgpu.
import { type ChatCompletion, createEngine, mulTask } from '@ruminate/controller';
import { RuminateEngine } from '@ruminate/runtime';
import { transformersEngine } from '@ruminate/transformers';

/** One strategy's outcome as the test reads it. */
export interface StrategyOutcome {
  answer: string | null;
  winner: number | null;
  text: string;
  trace: {
    id: number;
    answer: string | null;
    score: number | null;
    passed: boolean | null;
    votes: number | null;
    text: string;
    tokens: number;
  }[];
  forks: number;
  stepCalls: number;
}

/** One greedy position on both engines. */
export interface GreedyPosition {
  ruminate: number;
  transformers: number;
  margin: number;
}

/** What the page reports. */
export interface TransformersPageResult {
  device?: string;
  backend?: string;
  sc?: StrategyOutcome;
  bon?: StrategyOutcome;
  greedy?: GreedyPosition[];
  error?: string;
}

declare global {
  interface Window {
    /** Set when the page finished (or failed). */
    __ruminateTransformers?: TransformersPageResult;
  }
}

const FOLDER = '/models/mul-onnx';
const ORT = '/e2e/ort/';

function outcome(r: ChatCompletion): StrategyOutcome {
  const x = r.ruminate;
  return {
    answer: x.answer,
    winner: x.winner,
    text: r.choices[0]?.message.content ?? '',
    trace: x.trace.map((c) => ({
      id: c.id,
      answer: c.answer ?? null,
      score: c.score ?? null,
      passed: c.passed ?? null,
      votes: c.votes ?? null,
      text: c.text,
      tokens: c.tokens.length,
    })),
    forks: x.usage.forks,
    stepCalls: x.usage.stepCalls,
  };
}

/** Greedy continuation of `prompt` on both engines (transformers.js teacher-forced on Ruminate's tokens). */
async function greedyPair(
  tjs: ReturnType<typeof transformersEngine>,
  prompt: number[],
  n: number,
): Promise<GreedyPosition[]> {
  const ruminate = new RuminateEngine({ backend: 'wasm', tuning: 'off' });
  await ruminate.load(new URL('/models/mul-q8_0.gguf', location.href).href, { threads: 1 });
  const a = await ruminate.createSequence(prompt);
  const b = await tjs.createSequence(prompt);
  const out: GreedyPosition[] = [];
  for (let i = 0; i < n; i++) {
    const [r] = await ruminate.step([{ seq: a, sampling: { temperature: 0 }, want: { topLogprobs: 2 } }]);
    if (!r) break;
    const [t] = await tjs.step([
      { seq: b, sampling: { temperature: 0 }, forceToken: r.token, want: { topLogprobs: 1 } },
    ]);
    const [first, second] = r.topLogprobs ?? [];
    out.push({
      ruminate: r.token,
      transformers: t?.topLogprobs?.[0]?.token ?? -1,
      margin: first && second ? first.logprob - second.logprob : Number.POSITIVE_INFINITY,
    });
    if (r.eos) break;
  }
  await tjs.free(b);
  await ruminate.unload();
  return out;
}

async function main(): Promise<void> {
  const status = document.getElementById('status') as HTMLElement;
  const device = new URLSearchParams(location.search).get('device') === 'webgpu' ? 'webgpu' : 'wasm';
  const result: TransformersPageResult = { device };
  try {
    const engine = transformersEngine({
      device,
      wasmPaths: {
        mjs: `${ORT}ort-wasm-simd-threaded.asyncify.mjs`,
        wasm: `${ORT}ort-wasm-simd-threaded.asyncify.wasm`,
      },
    });
    const client = await createEngine({ engine, model: FOLDER, measure: false });
    result.backend = (await client.info())?.backend;
    status.textContent = `loaded on ${device}; running self-consistency…`;
    const task = mulTask;
    const base = {
      messages: [{ role: 'user' as const, content: '12*34' }],
      max_tokens: task.maxTokens,
      temperature: 0.8,
      seed: 7,
      answer: task.answer,
      verifier: task.verifier(),
    };
    result.sc = outcome(await client.chat.completions.create({ ...base, strategy: 'sc@5' }));
    status.textContent = 'running best-of-N…';
    result.bon = outcome(await client.chat.completions.create({ ...base, strategy: 'bon@4' }));
    status.textContent = 'greedy parity…';
    result.greedy = await greedyPair(engine, await engine.applyChatTemplate(base.messages), 60);
    await client.unload();
    status.textContent = 'done';
  } catch (e) {
    result.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    status.textContent = `failed: ${result.error}`;
  }
  (document.getElementById('out') as HTMLElement).textContent = JSON.stringify(result, null, 2);
  window.__ruminateTransformers = result;
}

void main();
