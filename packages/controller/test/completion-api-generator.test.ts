import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import {
  type ApiFinishReason,
  type CompletionApi,
  type CompletionApiEvent,
  CompletionApiGenerator,
  type CompletionApiRequest,
} from '../src/index.ts';

/** A scripted API: `script(request, choice)` gives the tokens of one continuation and how it ends. */
function scriptedApi(
  script: (req: CompletionApiRequest, choice: number) => { tokens: string[]; end?: ApiFinishReason | 'cut' },
): CompletionApi & { requests: CompletionApiRequest[]; emitted: number } {
  const api = {
    name: 'stub',
    requests: [] as CompletionApiRequest[],
    emitted: 0,
    async *complete(req: CompletionApiRequest, signal: AbortSignal): AsyncIterable<CompletionApiEvent> {
      api.requests.push(req);
      const plans = Array.from({ length: req.n }, (_, i) => script(req, i));
      yield { type: 'usage', promptTokens: 7, completionTokens: 0 };
      const longest = Math.max(...plans.map((p) => p.tokens.length));
      // Choices interleave, one token each per round, as a batching server streams them.
      for (let t = 0; t <= longest; t++) {
        for (let i = 0; i < plans.length; i++) {
          if (signal.aborted) return;
          const p = plans[i] as { tokens: string[]; end?: ApiFinishReason | 'cut' };
          const text = p.tokens[t];
          if (t < Math.min(p.tokens.length, req.maxTokens) && text !== undefined) {
            api.emitted++;
            yield { type: 'token', index: i, token: { text, logprob: -0.5, top: [{ text, logprob: -0.5 }] } };
          } else if (t === Math.min(p.tokens.length, req.maxTokens) && p.end !== 'cut') {
            const reason = t === req.maxTokens && t < p.tokens.length ? 'length' : (p.end ?? 'eos');
            yield { type: 'finish', index: i, reason };
          }
        }
        await Promise.resolve();
      }
    },
  };
  return api;
}

const base = { sampling: { temperature: 0.7 }, maxTokens: 32, seed: 5 };

describe('CompletionApiGenerator', () => {
  it('serves fresh forks of one parent with one call of n continuations, and stops at stop strings', async () => {
    const api = scriptedApi((_, i) => ({ tokens: ['The', ' answer', ` ${i}`, ' EN', 'D', ' junk'] }));
    const gen = new CompletionApiGenerator(api, { text: 'Q:' }, { ...base, stop: [' END'] });
    const root = await gen.create();
    const kids = await gen.fork(root, 3);
    await gen.extend(kids);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({ n: 3, continuation: '', maxTokens: 32, stop: [' END'] });
    expect(kids.map((b) => b.text)).toEqual(['The answer 0', 'The answer 1', 'The answer 2']);
    expect(kids.every((b) => b.finishReason === 'stop')).toBe(true);
    expect(gen.usage()).toMatchObject({ promptTokens: 7, candidates: 3, stepCalls: 1 });
    // Local token ids decode back to the text they stand for.
    expect(await gen.detokenize(kids[1]?.tokens ?? [])).toBe('The answer 1 END');
  });

  it('pauses at the step delimiter, drops the rest of the call, and re-sends the prefix after a fork', async () => {
    const api = scriptedApi((req) =>
      req.continuation === ''
        ? { tokens: ['a', '\n\n', 'b', 'c', 'd', 'e', 'f', 'g'] }
        : { tokens: ['x', '\n\n', 'y'], end: 'eos' },
    );
    const gen = new CompletionApiGenerator(api, { messages: [{ role: 'user', content: 'hi' }] }, base);
    const root = await gen.create();
    const [b] = await gen.fork(root, 1);
    if (!b) throw new Error('no branch');
    await gen.extend([b], { delimiter: true });
    expect(b.text).toBe('a\n\n');
    expect(b.steps).toEqual(['a\n\n']);
    expect(b.finished).toBe(false);
    // The call was aborted at the pause: the stub stopped well before its 8 tokens.
    expect(api.emitted).toBeLessThan(8);
    const kids = await gen.fork(b, 2);
    await gen.extend(kids, { delimiter: true });
    expect(api.requests[1]).toMatchObject({ continuation: 'a\n\n', n: 2 });
    expect(kids.map((k) => k.text)).toEqual(['a\n\nx\n\n', 'a\n\nx\n\n']);
    const forked = gen.trace.get(kids[0]?.id ?? -1).events.find((e) => e.type === 'forked');
    expect(forked?.detail).toMatch(/re-sent/);
    await gen.extend(kids);
    expect(kids.map((k) => [k.text, k.finishReason])).toEqual([
      ['a\n\nx\n\nx\n\ny', 'eos'],
      ['a\n\nx\n\nx\n\ny', 'eos'],
    ]);
  });

  it('ends at max tokens and the token budget', async () => {
    const api = scriptedApi(() => ({ tokens: Array.from({ length: 50 }, (_, i) => `t${i}`) }));
    const gen = new CompletionApiGenerator(api, { text: 'Q' }, { ...base, maxTokens: 6 });
    const [b] = await gen.fork(await gen.create(), 1);
    await gen.extend(b ? [b] : []);
    expect(b?.tokens).toHaveLength(6);
    expect(b?.finishReason).toBe('length');
    expect(api.requests[0]?.maxTokens).toBe(6);

    const budgeted = new CompletionApiGenerator(api, { text: 'Q' }, { ...base, limits: { tokens: 4 } });
    const kids = await budgeted.fork(await budgeted.create(), 2);
    await budgeted.extend(kids);
    expect(kids.every((k) => k.finishReason === 'length')).toBe(true);
    expect(budgeted.usage().generatedTokens).toBeLessThanOrEqual(5);
  });

  it('turns a stream that ends before a choice finished into remote-malformed naming the API', async () => {
    const api = scriptedApi(() => ({ tokens: ['a', 'b'], end: 'cut' }));
    const gen = new CompletionApiGenerator(api, { text: 'Q' }, base);
    const kids = await gen.fork(await gen.create(), 2);
    const err = await gen.extend(kids).catch((e: unknown) => e);
    expect(isRuminateError(err, 'remote-malformed')).toBe(true);
    expect(String((err as Error).message)).toMatch(/stub/);
  });

  it('rejects a choice index the call did not ask for', async () => {
    const api: CompletionApi = {
      name: 'liar',
      async *complete() {
        yield { type: 'token', index: 3, token: { text: 'x', logprob: 0, top: [] } };
      },
    };
    const gen = new CompletionApiGenerator(api, { text: 'Q' }, base);
    const kids = await gen.fork(await gen.create(), 1);
    await expect(gen.extend(kids)).rejects.toMatchObject({ code: 'remote-malformed' });
  });

  it('aborts the call in flight when the run is aborted', async () => {
    const ctrl = new AbortController();
    let sawAbort = false;
    const api: CompletionApi = {
      name: 'slow',
      async *complete(_req, signal) {
        yield { type: 'token', index: 0, token: { text: 'a', logprob: 0, top: [] } };
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        sawAbort = true;
      },
    };
    const gen = new CompletionApiGenerator(api, { text: 'Q' }, { ...base, signal: ctrl.signal });
    const kids = await gen.fork(await gen.create(), 1);
    const done = gen.extend(kids).catch((e: unknown) => e);
    setTimeout(() => ctrl.abort(), 5);
    expect(isRuminateError(await done, 'aborted')).toBe(true);
    expect(sawAbort).toBe(true);
  });
});
