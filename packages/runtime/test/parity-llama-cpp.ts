// llama.cpp (node-llama-cpp 3.21.1, CPU) as the independent reference for parity tests:
// greedy continuations with the next-token distribution at each step.
import { getLlama, type Llama, type LlamaModel } from 'node-llama-cpp';

/** One step of llama.cpp's greedy run. */
export interface LlamaCppStep {
  /** Token chosen (argmax). */
  token: number;
  /** Top log-probabilities, most likely first. */
  top: { token: number; logprob: number }[];
  /** log p(top-1) − log p(top-2): how safely the argmax is decided. */
  margin: number;
}

let llama: Promise<Llama> | undefined;
const models = new Map<string, Promise<LlamaModel>>();

/** Loads (once per process) a GGUF with llama.cpp's CPU backend. */
function model(path: string): Promise<LlamaModel> {
  llama ??= getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  let m = models.get(path);
  if (!m) {
    m = llama.then((l) => l.loadModel({ modelPath: path }));
    models.set(path, m);
  }
  return m;
}

/** llama.cpp's greedy continuation of `prompt` for `n` tokens, with the top `k` log-probabilities per step. */
export async function llamaCppGreedy(
  path: string,
  prompt: readonly number[],
  n: number,
  k = 5,
): Promise<LlamaCppStep[]> {
  const m = await model(path);
  // An f32 KV cache and no flash attention: llama.cpp's defaults (f16 K/V) would add their own rounding.
  const context = await m.createContext({
    contextSize: Math.max(256, prompt.length + n + 16),
    sequences: 1,
    threads: 1, // the CI machine has 2 shared cores: spinning worker threads make a 16-token run take seconds
    flashAttention: false,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
  });
  try {
    const seq = context.getSequence();
    const steps: LlamaCppStep[] = [];
    const it = seq.evaluateWithMetadata([...prompt] as never, { probabilities: true }, { temperature: 0 });
    for await (const out of it) {
      const entries = [...out.probabilities.entries()].slice(0, Math.max(k, 2));
      const top = entries.map(([token, p]) => ({ token: Number(token), logprob: Math.log(p) }));
      steps.push({
        token: Number(out.token),
        top: top.slice(0, k),
        margin: (top[0]?.logprob ?? 0) - (top[1]?.logprob ?? Number.NEGATIVE_INFINITY),
      });
      if (steps.length >= n) break;
    }
    return steps;
  } finally {
    await context.dispose();
  }
}

/** Releases llama.cpp models (call in afterAll). */
export async function disposeLlamaCpp(): Promise<void> {
  // A model llama.cpp refused to load (a refusal test) has nothing to dispose.
  for (const m of models.values())
    await m.then(
      (x) => x.dispose(),
      () => undefined,
    );
  models.clear();
}
