import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import { EngineGenerator, findStop, runStrategy, stableLength, stopPrefixLength } from '../src/index.ts';
import { answerModel, engineFor, fixedModel, stepModel } from './scripted-models.ts';

describe('Generator over a scripted engine', () => {
  it('batches every live candidate into one engine.step per token', async () => {
    const engine = engineFor(answerModel({ '42': 1 }, { tail: 3 }));
    const r = await runStrategy(engine, { prompt: 'Q:', strategy: 'sc@8', seed: 1 });
    // 1 prefix token + 1 answer + 3 tail + EOS = 6 steps of 8 sequences each, not 48 single steps.
    expect(engine.stepBatchSizes).toEqual([8, 8, 8, 8, 8, 8]);
    expect(r.usage.generatedTokens).toBe(48);
    expect(r.usage.maxBatch).toBe(8);
    expect(engine.liveSequences).toBe(0);
    expect(engine.pagesUsed).toBe(0);
  });

  it('gives each candidate its own seed and replays a run exactly from the same seed', async () => {
    const model = answerModel({ '42': 0.4, '17': 0.35, '5': 0.25 }, { tail: 2 });
    const a = await runStrategy(engineFor(model), { prompt: 'Q:', strategy: 'sample@12', n: 12, seed: 77 });
    const b = await runStrategy(engineFor(model), { prompt: 'Q:', strategy: 'sample@12', n: 12, seed: 77 });
    const c = await runStrategy(engineFor(model), { prompt: 'Q:', strategy: 'sample@12', n: 12, seed: 78 });
    expect(a.trace.map((t) => t.text)).toEqual(b.trace.map((t) => t.text));
    expect(new Set(a.trace.map((t) => t.seed)).size).toBe(12);
    expect(new Set(a.trace.map((t) => t.text)).size).toBeGreaterThan(1);
    expect(a.trace.map((t) => t.text)).not.toEqual(c.trace.map((t) => t.text));
  });

  it('finds a stop string that spans tokens, drops it, and never streams its prefix', async () => {
    const vocab = ['Hel', 'lo', ' E', 'N', 'D', ' more'];
    const engine = engineFor(fixedModel(vocab, [0, 1, 2, 3, 4, 5]));
    const deltas: string[] = [];
    const r = await runStrategy(
      engine,
      { prompt: 'Q:', strategy: 'greedy', stop: [' END'], maxTokens: 20 },
      { onDelta: (_, d) => deltas.push(d) },
    );
    expect(r.text).toBe('Hello');
    expect(r.choices[0]?.finishReason).toBe('stop');
    expect(deltas.join('')).toBe('Hello');
    expect(deltas.some((d) => d.includes('E'))).toBe(false);
    // Generation stopped at the token completing the stop string.
    expect(r.choices[0]?.tokens.length).toBe(5);
  });

  it('streams UTF-8 split across tokens without ever emitting half a character', async () => {
    const e = new TextEncoder();
    const eAcute = e.encode('é'); // 2 bytes
    const emoji = e.encode('🦀'); // 4 bytes
    const vocab: (string | Uint8Array)[] = [
      'caf',
      eAcute.slice(0, 1),
      eAcute.slice(1),
      ' ',
      emoji.slice(0, 1),
      emoji.slice(1, 3),
      emoji.slice(3),
      '!',
    ];
    const engine = engineFor(fixedModel(vocab, [0, 1, 2, 3, 4, 5, 6, 7]));
    const deltas: string[] = [];
    const r = await runStrategy(
      engine,
      { prompt: 'Q:', strategy: 'greedy' },
      { onDelta: (_, d) => deltas.push(d) },
    );
    expect(r.text).toBe('café 🦀!');
    expect(deltas.join('')).toBe('café 🦀!');
    for (const d of deltas) {
      expect(d).not.toContain('\uFFFD');
      expect(/[\uD800-\uDBFF]$/.test(d)).toBe(false);
      expect(/^[\uDC00-\uDFFF]/.test(d)).toBe(false);
    }
  });

  it('pauses at a reasoning-step delimiter and records the steps', async () => {
    const engine = engineFor(stepModel(3, 0.5));
    const gen = new EngineGenerator(engine, { sampling: { temperature: 1 }, maxTokens: 50, seed: 3 });
    const root = await gen.create(await engine.tokenize('Q:'));
    const [b] = await gen.fork(root, 1);
    if (!b) throw new Error('no branch');
    await gen.extend([b], { delimiter: true });
    expect(b.steps).toHaveLength(1);
    expect(b.steps[0]).toMatch(/^[GB]\n\n$/);
    expect(b.finished).toBe(false);
    await gen.extend([b], { tokens: 1 });
    expect(b.tokens).toHaveLength(3);
    await gen.extend([b]);
    expect(b.finishReason).toBe('eos');
    expect(b.steps.join('')).toBe(b.text);
    expect(b.steps).toHaveLength(3);
    await gen.freeAll();
    expect(engine.liveSequences).toBe(0);
  });

  it('ends at max tokens with finish reason length', async () => {
    const engine = engineFor(answerModel({ '42': 1 }, { tail: 10 }));
    const r = await runStrategy(engine, { prompt: 'Q:', strategy: 'greedy', maxTokens: 4 });
    expect(r.choices[0]?.tokens).toHaveLength(4);
    expect(r.choices[0]?.finishReason).toBe('length');
  });

  it('frees every forked sequence and KV page when aborted mid-search', async () => {
    const ctrl = new AbortController();
    const engine = engineFor(stepModel(6, 0.5), { onStep: (i) => i === 7 && ctrl.abort() });
    const run = runStrategy(
      engine,
      { prompt: 'Q:', strategy: { name: 'beam', samples: 8, width: 2 }, seed: 5 },
      { signal: ctrl.signal },
    );
    await expect(run).rejects.toSatisfy((e) => isRuminateError(e, 'aborted'));
    expect(engine.maxLiveSequences).toBeGreaterThan(4);
    expect(engine.liveSequences).toBe(0);
    expect(engine.pagesUsed).toBe(0);
  });

  it('stop-string helpers: earliest match across the old/new boundary, held-back prefixes', () => {
    expect(findStop('abcEND', ['END'], 4)).toEqual({ index: 3, stop: 'END' });
    expect(findStop('abcEND', ['END'], 5)).toEqual({ index: 3, stop: 'END' });
    expect(findStop('abcEND', ['END'], 6)).toBeNull(); // already seen before the last token
    expect(findStop('abc', ['END'], 3)).toBeNull();
    expect(stopPrefixLength('Hello EN', [' END'])).toBe(3);
    expect(stableLength('Hello EN', [' END'])).toBe(5);
    expect(stableLength('ab\uFFFD', [])).toBe(2);
  });

  it('enforces the latency budget while running: past the deadline every candidate ends where it is', async () => {
    let clock = 0;
    const engine = engineFor(answerModel({ '42': 0.5, '17': 0.5 }, { tail: 60 }), {
      onStep: () => (clock += 100),
    });
    // The speed claims 1000 tok/s per sequence, so the plan expects far more than the clock allows.
    const speed = {
      source: 'measured' as const,
      points: [1, 4, 16].map((width) => ({ width, tokensPerSecond: 1000 * width })),
    };
    const r = await runStrategy(
      engine,
      { prompt: 'Q:', strategy: 'sc@8', budget: { latencyMs: 1000 }, maxTokens: 62, seed: 1 },
      { speed, now: () => clock },
    );
    expect(engine.stepBatchSizes.length).toBe(10);
    expect(r.trace.every((c) => c.finishReason === 'length')).toBe(true);
    expect(
      r.trace[0]?.events.some((e) => e.type === 'stopped' && e.detail === 'latency budget reached'),
    ).toBe(true);
    expect(r.answer).toMatch(/^(42|17)$/);
    expect(engine.liveSequences).toBe(0);
  });

  it('enforces the token budget while running (a search may overshoot by at most one step of its live candidates)', async () => {
    const engine = engineFor(stepModel(8, 0.5));
    const r = await runStrategy(engine, {
      prompt: 'Q:',
      strategy: { name: 'beam', samples: 4, width: 2 },
      stepScorer: 'mean-logprob',
      budget: { tokens: 30 },
      maxTokens: 10,
      seed: 2,
    });
    expect(r.plan.n).toBe(3);
    expect(r.usage.generatedTokens).toBeLessThanOrEqual(30 + r.plan.n);
    expect(r.winner).not.toBeNull();
  });
});
