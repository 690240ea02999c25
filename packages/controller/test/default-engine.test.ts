// The default engine of a page (createEngine with no `engine`) must run in a Web Worker: an
// in-page runtime that blocks the page is the one thing it must not do. With stand-ins for the
// browser's `window` and `Worker` (the Worker's far end served over a MessageChannel, as the real
// worker serves the engine), the model must load inside the worker and every call must cross the
// port. The real worker runs in e2e/tests/playground-model.spec.ts.
import { RuminateEngine } from '@ruminate/runtime';
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEngine, defaultEngine } from '../src/api/create-engine.ts';
import type { ScriptedEngine } from '../src/engines/scripted-engine.ts';
import { answerModel, engineFor } from './scripted-models.ts';

const ports: MessagePort[] = [];

afterEach(() => {
  vi.unstubAllGlobals();
  for (const p of ports.splice(0)) p.close();
});

/** Installs a page's globals: `window`, no SharedWorker, and a Worker whose far end serves a scripted engine. */
function installPage() {
  const started: { url: string; options: WorkerOptions | undefined; terminated: boolean }[] = [];
  const served: ScriptedEngine[] = [];
  class FakeWorker {
    private readonly port: MessagePort;
    private readonly index: number;
    constructor(url: URL, options?: WorkerOptions) {
      this.index = started.push({ url: url.href, options, terminated: false }) - 1;
      const c = new MessageChannel();
      ports.push(c.port1, c.port2);
      // The worker side: what serveEngine exposes (load arrives as loadWithProgress).
      const engine = engineFor(answerModel({ '42': 1 }));
      served.push(engine);
      Comlink.expose(Object.assign(engine, { loadWithProgress: (s: string) => engine.load(s) }), c.port2);
      this.port = c.port1;
    }
    postMessage(message: unknown, transfer: Transferable[] = []): void {
      this.port.postMessage(message, transfer);
    }
    addEventListener(type: string, listener: (e: MessageEvent) => void): void {
      if (type !== 'message') return;
      this.port.addEventListener(type, listener);
      this.port.start();
    }
    removeEventListener(type: string, listener: (e: MessageEvent) => void): void {
      this.port.removeEventListener(type, listener as (e: Event) => void);
    }
    terminate(): void {
      const s = started[this.index];
      if (s) s.terminated = true;
      this.port.close();
    }
  }
  vi.stubGlobal('window', {});
  vi.stubGlobal('SharedWorker', undefined);
  vi.stubGlobal('Worker', FakeWorker);
  return { started, served };
}

describe('the default engine', () => {
  it("of a page runs in a dedicated Web Worker: the model loads there and the client's calls cross the port", async () => {
    const { started, served } = installPage();
    const client = await createEngine({ model: 'scripted', measure: false });
    expect(started).toHaveLength(1);
    expect(started[0]?.url).toMatch(/\/runtime\/src\/worker\/engine-worker\.ts$/);
    expect(started[0]?.options?.type).toBe('module');
    // The page holds a proxy, not an engine: nothing runs on the main thread.
    expect(client.engine).not.toBeInstanceOf(RuminateEngine);
    expect(await served[0]?.info()).toBeDefined(); // loaded in the worker
    const r = await client.chat.completions.create({
      messages: [{ role: 'user', content: 'Q:' }],
      max_tokens: 4,
      temperature: 0,
    });
    expect(r.choices[0]?.message.content).toMatch(/^The answer is 42/);
    expect(served[0]?.stepBatchSizes.length).toBeGreaterThan(0); // the steps ran in the worker
    await client.unload();
    expect(started[0]?.terminated).toBe(true); // the engine this client started ends with it
  });

  it('in Node runs in-process (no page to block)', async () => {
    expect(await defaultEngine()).toBeInstanceOf(RuminateEngine);
  });
});
