// The remote engine from a page: `createEngine` given a list — an in-page engine that cannot load
// first, then `{ remote }`, an OpenAI-compatible server on another origin (the e2e test starts
// `ruminate serve` and passes its URL and key as ?server=…&key=…) — and self-consistency run here
// over samples drawn there. The result is left in window.__ruminateRemote for the test.
import { createEngine, type EngineChoice, RuminateError } from '@ruminate/controller';
import type { Engine } from '@ruminate/runtime';

/** What the page reports. */
export interface RemotePageResult {
  chosen?: EngineChoice;
  text?: string | null;
  answer?: string | null;
  candidates?: string[];
  capabilities?: { n: boolean | undefined; logprobs: boolean | undefined };
  error?: string;
}

declare global {
  interface Window {
    /** Set when the run finished (or failed). */
    __ruminateRemote?: RemotePageResult;
  }
}

const params = new URLSearchParams(location.search);
const status = document.getElementById('status') as HTMLElement;
const list = document.getElementById('log') as HTMLElement;

/** An engine whose load fails as a phone's would on a model too large for it. */
const tooSmallDevice = {
  load: async () => {
    throw new RuminateError('model-too-large', 'This device cannot hold the model.');
  },
  info: async () => undefined,
} as unknown as Engine;

async function main(): Promise<RemotePageResult> {
  const client = await createEngine([
    { engine: tooSmallDevice, model: '/models/mul-q8_0.gguf' },
    { remote: { baseURL: params.get('server') ?? '', apiKey: params.get('key') ?? '' } },
  ]);
  status.textContent = `running on ${client.chosen.name} (${client.chosen.reason})`;
  const r = await client.run({
    prompt: params.get('prompt') ?? '68*24=',
    strategy: 'sc@4',
    maxTokens: 48,
    seed: 3,
    answer: { mode: 'regex', pattern: '#(\\d+)\\s*$' },
  });
  for (const c of r.trace) {
    const li = document.createElement('li');
    li.textContent = `${c.id === r.winner ? '★ ' : ''}${c.text}`;
    list.append(li);
  }
  status.textContent = `answer ${r.answer ?? '–'} from ${client.chosen.name}`;
  return {
    chosen: client.chosen,
    text: r.text,
    answer: r.answer,
    candidates: r.trace.map((c) => c.text),
    capabilities: client.remote ? { ...client.remote.capabilities } : undefined,
  };
}

main().then(
  (r) => {
    window.__ruminateRemote = r;
  },
  (e: unknown) => {
    status.textContent = `failed: ${(e as Error).message}`;
    window.__ruminateRemote = { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  },
);
