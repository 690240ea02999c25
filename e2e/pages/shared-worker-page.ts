// One tab's view of the runtime's engine started with createWorkerEngine: the SharedWorker that
// every tab of the origin joins, or a dedicated Worker where the browser has no SharedWorker.
// The e2e test drives each tab through window.__ruminateTab (load, info, greedy generation,
// memory) and reads what the tab shows.
import type { MemoryReport, ModelInfo } from '@ruminate/runtime';
import { createWorkerEngine } from '@ruminate/runtime/worker';

/** A greedy continuation as one tab saw it. */
export interface TabGeneration {
  prompt: string;
  tokens: number[];
  text: string;
}

/** What the test drives in each tab. */
export interface TabApi {
  /** Which worker hosts this tab's engine. */
  kind: 'shared' | 'dedicated';
  /** Model loads this tab asked for. */
  loads: number;
  load(url: string): Promise<ModelInfo>;
  info(): Promise<ModelInfo | undefined>;
  generate(prompt: string, maxTokens: number): Promise<TabGeneration>;
  /** Creates a sequence holding `prompt` and keeps it (until `free`), so other tabs can see it. */
  hold(prompt: string): Promise<number>;
  free(seq: number): Promise<void>;
  memory(): Promise<MemoryReport>;
}

declare global {
  interface Window {
    /** Set once the engine worker is started (or `error` if it could not be). */
    __ruminateTab?: TabApi | { error: string };
  }
}

const statusEl = document.getElementById('status') as HTMLElement;
const logEl = document.getElementById('log') as HTMLOListElement;

function log(text: string): void {
  const li = document.createElement('li');
  li.textContent = text;
  logEl.append(li);
}

function describeModel(info: ModelInfo): string {
  return `${info.architecture} "${info.name ?? '?'}", ${info.parameters.toLocaleString('en')} parameters, context ${info.contextLength}`;
}

try {
  const { engine, kind } = createWorkerEngine();
  statusEl.textContent =
    kind === 'shared'
      ? 'engine: SharedWorker (shared by the tabs of this origin)'
      : 'engine: dedicated Worker';
  statusEl.dataset.kind = kind;
  const api: TabApi = {
    kind,
    loads: 0,
    async load(url) {
      api.loads++;
      const info = await engine.load(url, { contextLength: 256 });
      log(`loaded ${describeModel(info)}`);
      return info;
    },
    async info() {
      const info = await engine.info();
      log(info ? `model already in the engine: ${describeModel(info)}` : 'no model in the engine');
      return info;
    },
    async generate(prompt, maxTokens) {
      const seq = await engine.createSequence(await engine.tokenize(prompt, { addBos: true }));
      try {
        const tokens: number[] = [];
        for (let i = 0; i < maxTokens; i++) {
          const [r] = await engine.step([{ seq, sampling: { temperature: 0 } }]);
          if (!r) throw new Error('step returned no result');
          tokens.push(r.token);
          if (r.eos) break;
        }
        const text = await engine.detokenize(tokens);
        log(`greedy "${prompt}" → "${text}" [${tokens.join(', ')}]`);
        return { prompt, tokens, text };
      } finally {
        await engine.free(seq);
      }
    },
    async hold(prompt) {
      const seq = await engine.createSequence(await engine.tokenize(prompt, { addBos: true }));
      log(`holding sequence ${seq} ("${prompt}")`);
      return seq;
    },
    async free(seq) {
      await engine.free(seq);
      log(`freed sequence ${seq}`);
    },
    async memory() {
      const m = await engine.memory();
      log(
        `memory: weights ${m.weightBytes.toLocaleString('en')} B, KV ${m.kvBytes.toLocaleString('en')} B, ${m.sequences} live sequences`,
      );
      return m;
    },
  };
  window.__ruminateTab = api;
} catch (e) {
  statusEl.textContent = `error: ${(e as Error).message}`;
  window.__ruminateTab = { error: String((e as Error).message ?? e) };
}
