// createWorkerEngine's choice of worker and its close(), with stand-ins for the browser's
// SharedWorker and Worker built on MessageChannels: every SharedWorker connection reaches one
// served object (as every tab reaches the one engine of shared-engine-worker.ts), a dedicated
// Worker gets its own. The real workers run in e2e/tests/shared-worker.spec.ts.
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWorkerEngine } from '../src/worker/create-worker-engine.ts';

/** What each stand-in serves: a counter, so a test sees whether two connections share it. */
class Counter {
  hits = 0;
  /** Connections released (comlink calls this when a caller releases its proxy). */
  released = 0;
  hit(): number {
    return ++this.hits;
  }
  [Comlink.finalizer](): void {
    this.released++;
  }
}

const ports: MessagePort[] = [];
function channel(): MessageChannel {
  const c = new MessageChannel();
  ports.push(c.port1, c.port2);
  return c;
}

interface Made {
  kind: 'SharedWorker' | 'Worker';
  url: string;
  options: WorkerOptions | undefined;
}

/** Installs stand-in SharedWorker (one served Counter for all connections) and Worker classes. */
function installWorkers(withShared: boolean) {
  const made: Made[] = [];
  const terminated: number[] = [];
  const shared = new Counter();
  class FakeSharedWorker {
    readonly port: MessagePort;
    constructor(url: URL, options?: WorkerOptions) {
      made.push({ kind: 'SharedWorker', url: url.href, options });
      const c = channel();
      Comlink.expose(shared, c.port2); // the worker's `onconnect` serving its one engine
      this.port = c.port1;
    }
    /** A SharedWorker reports a failed start as an `error` event; these stand-ins always start. */
    addEventListener(): void {}
  }
  class FakeWorker {
    private readonly port: MessagePort;
    private readonly index: number;
    constructor(url: URL, options?: WorkerOptions) {
      this.index = made.push({ kind: 'Worker', url: url.href, options }) - 1;
      const c = channel();
      Comlink.expose(new Counter(), c.port2);
      this.port = c.port1;
    }
    postMessage(message: unknown, transfer: Transferable[] = []): void {
      this.port.postMessage(message, transfer);
    }
    addEventListener(type: 'message', listener: (e: MessageEvent) => void): void {
      this.port.addEventListener(type, listener);
      this.port.start();
    }
    removeEventListener(type: 'message', listener: (e: MessageEvent) => void): void {
      this.port.removeEventListener(type, listener);
    }
    terminate(): void {
      terminated.push(this.index);
      this.port.close();
    }
  }
  vi.stubGlobal('SharedWorker', withShared ? FakeSharedWorker : undefined);
  vi.stubGlobal('Worker', FakeWorker);
  return { made, terminated, shared };
}

/** The served Counter behind a started engine (the Engine type does not know it). */
const counter = (engine: unknown) => engine as Comlink.Remote<Counter>;

afterEach(() => {
  vi.unstubAllGlobals();
  for (const p of ports.splice(0)) p.close();
});

describe('createWorkerEngine', () => {
  it('joins one SharedWorker engine from every caller; close() lets one go and the others keep it', async () => {
    const { made, shared } = installWorkers(true);
    const a = createWorkerEngine();
    const b = createWorkerEngine({ name: 'ruminate-engine' });
    expect([a.kind, b.kind]).toEqual(['shared', 'shared']);
    expect(made.map((m) => m.kind)).toEqual(['SharedWorker', 'SharedWorker']);
    for (const m of made) {
      expect(m.url).toMatch(/\/worker\/shared-engine-worker\.ts$/);
      expect(m.options).toEqual({ type: 'module', name: 'ruminate-engine' });
    }
    expect(await counter(a.engine).hit()).toBe(1);
    expect(await counter(b.engine).hit()).toBe(2); // the same served object

    a.close();
    a.close(); // idempotent
    expect(() => counter(a.engine).hit()).toThrow(/released/i);
    // The release reached the worker side (it stops serving that port), once.
    await vi.waitFor(() => expect(shared.released).toBe(1));
    expect(await counter(b.engine).hit()).toBe(3);
    expect(shared.hits).toBe(3);
    expect(shared.released).toBe(1);
  });

  it('falls back to a dedicated Worker where SharedWorker is undefined, and close() terminates it', async () => {
    const { made, terminated } = installWorkers(false);
    const a = createWorkerEngine({ name: 'tab-engine' });
    const b = createWorkerEngine();
    expect([a.kind, b.kind]).toEqual(['dedicated', 'dedicated']);
    expect(made.map((m) => [m.kind, m.options?.name])).toEqual([
      ['Worker', 'tab-engine'],
      ['Worker', 'ruminate-engine'],
    ]);
    expect(made[0]?.url).toMatch(/\/worker\/engine-worker\.ts$/);
    expect(made[0]?.options?.type).toBe('module');
    expect(await counter(a.engine).hit()).toBe(1);
    expect(await counter(b.engine).hit()).toBe(1); // each page its own engine
    a.close();
    expect(terminated).toEqual([0]);
    expect(await counter(b.engine).hit()).toBe(2);
  });

  it('uses a dedicated Worker when asked, even where SharedWorker exists', async () => {
    const { made } = installWorkers(true);
    const w = createWorkerEngine({ shared: false });
    expect(w.kind).toBe('dedicated');
    expect(made.map((m) => m.kind)).toEqual(['Worker']);
    expect(await counter(w.engine).hit()).toBe(1);
    w.close();
  });

  it('a worker that fails to start rejects calls with worker-failed instead of hanging; a url worker starts from that url', async () => {
    const made: string[] = [];
    class FailingWorker {
      constructor(url: URL | string) {
        made.push(String(url));
      }
      postMessage(): void {}
      addEventListener(type: string, listener: (e: { message: string }) => void): void {
        if (type === 'error') setTimeout(() => listener({ message: '404' }), 0);
      }
      removeEventListener(): void {}
      terminate(): void {}
    }
    vi.stubGlobal('SharedWorker', undefined);
    vi.stubGlobal('Worker', FailingWorker);
    const w = createWorkerEngine({ url: 'https://cdn.example/ruminate-worker.js' });
    expect(w.kind).toBe('dedicated');
    const e = await w.engine.info().catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'RuminateError', code: 'worker-failed' });
    expect((e as Error).message).toContain('https://cdn.example/ruminate-worker.js');
    expect(made).toEqual(['https://cdn.example/ruminate-worker.js']);
  });
});
