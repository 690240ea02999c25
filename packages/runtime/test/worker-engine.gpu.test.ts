// The Engine as a page sees it: served with comlink over a MessageChannel (the same code path as
// a Web Worker or a SharedWorker port), on a real (SwiftShader) device. Load progress, tokenize,
// steps, memory accounting of a shared prompt, abort within one step, typed errors across the
// port, unload, and a destroyed device followed by a working reload.
import { isRuminateError } from '@ruminate/errors';
import { type KernelContext, kernelContextFor, requestDevice } from '@ruminate/gpu';
import { afterAll, describe, expect, it } from 'vitest';
import { standardFixture } from '../../../tools/fixtures/standard-fixtures.ts';
import { RuminateEngine } from '../src/engine/ruminate-engine.ts';
import type { LoadProgress } from '../src/engine/types.ts';
import { connectEngine } from '../src/worker/connect-engine.ts';
import { exposeEngine } from '../src/worker/serve-engine.ts';
import { sharedKernelContext } from './engine-test-context.ts';

const channels: MessageChannel[] = [];
afterAll(() => {
  for (const c of channels) {
    c.port1.close();
    c.port2.close();
  }
});

function served(engine: RuminateEngine) {
  const channel = new MessageChannel();
  channels.push(channel);
  exposeEngine(channel.port1, engine);
  return connectEngine(channel.port2);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return isRuminateError(e) ? e.code : `untyped: ${String(e)}`;
  }
}

describe('engine over comlink', () => {
  it('loads with progress, steps, stores a shared prompt once, aborts within a step, unloads', async () => {
    const path = await standardFixture('llama-f32');
    const remote = served(new RuminateEngine({ kernelContext: sharedKernelContext, maxPassTokens: 16 }));
    // The header alone rules out a context whose KV cannot fit, before any weights are read.
    expect(await codeOf(remote.load({ path }, { contextLength: 50_000_000 }))).toBe('model-too-large');
    const progress: LoadProgress[] = [];
    const info = await remote.load({ path }, { contextLength: 256, onProgress: (p) => progress.push(p) });
    expect(info.architecture).toBe('llama');
    const uploads = progress.filter((p) => p.phase === 'upload');
    expect(uploads.length).toBeGreaterThan(0);
    expect(uploads.at(-1)!.done).toBe(uploads.at(-1)!.total);

    const prompt = await remote.tokenize('hello world, hello paged attention', { addBos: true });
    expect(await remote.detokenize(prompt)).toContain('hello world');
    const seq = await remote.createSequence(prompt);
    const [first] = await remote.step([
      { seq, sampling: { temperature: 0 }, want: { topLogprobs: 3, entropy: true } },
    ]);
    expect(first!.topLogprobs).toHaveLength(3);
    expect(first!.entropy).toBeGreaterThanOrEqual(0);

    // 16 samples of one prompt: the prompt's pages are stored once.
    const before = await remote.memory();
    const forks = await remote.fork(seq, 15);
    const after = await remote.memory();
    expect(after.pagesUsed).toBe(before.pagesUsed);
    expect(after.sequences).toBe(16);
    await remote.step([seq, ...forks].map((s, i) => ({ seq: s, sampling: { temperature: 1, seed: i } })));
    const stepped = await remote.memory();
    // Each sequence wrote one token: at most one private page each beyond the shared full pages.
    expect(stepped.pagesUsed).toBeLessThanOrEqual(before.pagesUsed + 16);
    expect(stepped.bytesPerPage * (stepped.pagesUsed + stepped.pagesFree)).toBe(stepped.kvBytes);

    // Abort: a 200-token prompt needs 13 passes of 16 rows; abort stops it after the current pass.
    const long = await remote.createSequence(Array.from({ length: 200 }, (_, i) => (i * 37) % 500));
    const running = remote.step([{ seq: long, sampling: { temperature: 0 } }]);
    await remote.abort();
    expect(await codeOf(running)).toBe('aborted');
    expect(await codeOf(remote.step([{ seq: 12345, sampling: { temperature: 0 } }]))).toBe(
      'unknown-sequence',
    );

    await remote.unload();
    expect(await remote.info()).toBeUndefined();
    expect(await codeOf(remote.memory())).toBe('not-loaded');
  });

  it('a destroyed device gives a typed error, and loading again on a new device works', async () => {
    const path = await standardFixture('llama-f32');
    const devices: GPUDevice[] = [];
    // A private device per load (the shared test device must survive); pipelines are per device.
    const kernelContext = async (): Promise<KernelContext> => {
      const acquired = await requestDevice();
      devices.push(acquired.device);
      return kernelContextFor(acquired);
    };
    const remote = served(new RuminateEngine({ kernelContext }));
    await remote.load({ path }, { contextLength: 64 });
    const seq = await remote.createSequence([1, 2, 3]);
    await remote.step([{ seq, sampling: { temperature: 0 } }]);
    devices[0]!.destroy();
    await devices[0]!.lost;
    expect(await codeOf(remote.step([{ seq, sampling: { temperature: 0 } }]))).toBe('device-lost');
    await remote.load({ path }, { contextLength: 64 });
    expect(devices).toHaveLength(2);
    const again = await remote.createSequence([1, 2, 3]);
    const [r] = await remote.step([{ seq: again, sampling: { temperature: 0 } }]);
    expect(r!.token).toBeGreaterThanOrEqual(0);
    await remote.unload();
  });
});
