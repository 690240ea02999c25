import { isRuminateError, RuminateError } from '@ruminate/errors';
import type { MemoryReport } from '@ruminate/runtime';
import { describe, expect, it } from 'vitest';
import {
  cachedDecodeSpeed,
  type DecodeSpeed,
  estimateSpeed,
  kneeWidth,
  MAX_PLANNED_SAMPLES,
  measureDecodeSpeed,
  parseStrategy,
  planRequest,
  predictMs,
  type SpeedCache,
  throughputAt,
} from '../src/index.ts';
import { answerModel, engineFor } from './scripted-models.ts';

const fast: DecodeSpeed = {
  source: 'measured',
  points: [
    { width: 1, tokensPerSecond: 120 },
    { width: 4, tokensPerSecond: 440 },
    { width: 16, tokensPerSecond: 1500 },
  ],
};
const slow: DecodeSpeed = {
  source: 'measured',
  points: [
    { width: 1, tokensPerSecond: 12 },
    { width: 4, tokensPerSecond: 40 },
    { width: 16, tokensPerSecond: 48 },
  ],
};
const memory = (pagesFree: number): MemoryReport => ({
  weightBytes: 1e6,
  kvBytes: 1e6,
  pageTokens: 16,
  bytesPerPage: 1024,
  pagesUsed: 0,
  pagesFree,
  sequences: 0,
  scratchBytes: 0,
});
const fieldOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof RuminateError) return `${e.code}:${e.field}`;
    throw e;
  }
  return 'no error';
};

describe('budget planner', () => {
  it('gives a slow device a smaller N than a fast one for the same latency, each the largest that fits', () => {
    const plan = (speed: DecodeSpeed) =>
      planRequest({
        strategy: parseStrategy('sc'),
        choices: 1,
        maxTokens: 32,
        promptTokens: 20,
        budget: { latencyMs: 5000 },
        speed,
        seed: 1,
      });
    const f = plan(fast);
    const s = plan(slow);
    expect(s.n).toBeLessThan(f.n);
    // The slow device's knee is 4 sequences: one wave of 4 × 32 tokens at 40 tok/s = 3.2 s; a fifth
    // sample needs a second wave (+ 32 tokens at 12 tok/s = 2.7 s) and overshoots.
    expect(s.n).toBe(4);
    expect(s.batchWidth).toBe(4);
    for (const [p, speed] of [
      [f, fast],
      [s, slow],
    ] as const) {
      expect(p.expectedMs as number).toBeLessThanOrEqual(5000);
      if (p.n < MAX_PLANNED_SAMPLES) {
        expect(
          predictMs(speed, p.n + 1, Math.min(p.n + 1, kneeWidth(speed)), p.maxTokens, 20),
        ).toBeGreaterThan(5000);
      }
    }
    expect(f.strategy).toBe('sc');
    expect(f.maxTokens).toBe(32);
    expect(s.maxTokens).toBe(32);
    expect(f.speedSource).toBe('measured');
  });

  it('fits a token budget: N = ⌊tokens / max_tokens⌋, shorter answers when even one does not fit', () => {
    const p = planRequest({
      strategy: parseStrategy('bon'),
      choices: 1,
      maxTokens: 100,
      promptTokens: 5,
      budget: { tokens: 1000 },
      seed: 1,
    });
    expect(p.n).toBe(10);
    expect(p.expectedTokens).toBe(1000);
    const q = planRequest({
      strategy: parseStrategy('sc@4'),
      choices: 1,
      maxTokens: 100,
      promptTokens: 5,
      budget: { tokens: 50 },
      seed: 1,
    });
    expect(q.n).toBe(1);
    expect(q.maxTokens).toBe(50);
  });

  it('shrinks max tokens to fit a tight latency and refuses a budget that cannot produce an answer', () => {
    const p = planRequest({
      strategy: parseStrategy('sc'),
      choices: 1,
      maxTokens: 512,
      promptTokens: 0,
      budget: { latencyMs: 1000 },
      speed: slow,
      seed: 1,
    });
    expect(p.n).toBe(1);
    expect(p.maxTokens).toBe(12); // 12 tok/s × 1 s
    expect(
      fieldOf(() =>
        planRequest({
          strategy: parseStrategy('sc'),
          choices: 1,
          promptTokens: 0,
          budget: { latencyMs: 100 },
          speed: slow,
          seed: 1,
        }),
      ),
    ).toBe('budget-too-small:budget.latencyMs');
    expect(
      fieldOf(() =>
        planRequest({
          strategy: parseStrategy('sc'),
          choices: 1,
          promptTokens: 0,
          budget: { tokens: 3 },
          seed: 1,
        }),
      ),
    ).toBe('budget-too-small:budget.tokens');
  });

  it('caps live sequences by free KV memory: tree strategies lower N, sampling decodes in waves', () => {
    // 40 pages × 16 tokens = 640 free tokens; a sequence needs 64 + 16: 7 fit after a 64-token prompt.
    const beam = planRequest({
      strategy: parseStrategy('beam'),
      choices: 1,
      maxTokens: 64,
      promptTokens: 64,
      budget: { tokens: 100_000 },
      memory: memory(40),
      seed: 1,
    });
    expect(beam.memorySequences).toBe(7);
    expect(beam.n).toBe(7);
    const sc = planRequest({
      strategy: parseStrategy('sc@32'),
      choices: 1,
      maxTokens: 64,
      promptTokens: 64,
      memory: memory(40),
      seed: 1,
    });
    expect(sc.n).toBe(32);
    expect(sc.batchWidth).toBe(7);
    expect(
      fieldOf(() =>
        planRequest({
          strategy: parseStrategy('beam@16'),
          choices: 1,
          maxTokens: 64,
          promptTokens: 64,
          memory: memory(40),
          seed: 1,
        }),
      ),
    ).toBe('budget-too-small:strategy.samples');
  });

  it('interpolates throughput in log2(width), finds the knee, and estimates from a device profile', () => {
    expect(throughputAt(fast, 2)).toBeCloseTo((120 + 440) / 2, 10);
    expect(throughputAt(fast, 64)).toBe(1500);
    expect(kneeWidth(fast)).toBe(16);
    expect(kneeWidth(slow)).toBe(4); // 40 → 48 is < 1.3×
    const model = { weightBytes: 2e9, parameters: 1e9 };
    const gpu = estimateSpeed({ bandwidthGBps: 400, gflops: 20_000 }, model) as DecodeSpeed;
    const igpu = estimateSpeed({ bandwidthGBps: 50, gflops: 1000 }, model) as DecodeSpeed;
    expect(gpu.points[0]?.tokensPerSecond).toBeCloseTo(200, 8); // 400 GB/s / 2 GB
    expect(igpu.points[2]?.tokensPerSecond).toBeCloseTo(16 / Math.max(2e9 / 50e9, (16 * 2e9) / 1e12), 8);
    expect(estimateSpeed({}, model)).toBeUndefined();
  });

  it('measures decode speed at 1, 4 and 16 sequences once per model, releasing every sequence', async () => {
    let clock = 0;
    const engine = engineFor(answerModel({ '42': 1 }, { tail: 40 }), { onStep: () => (clock += 10) });
    const speed = await measureDecodeSpeed(engine, { now: () => clock, steps: 5 });
    // Each step "takes" 10 ms whatever its width: width × 100 tokens/s.
    expect(speed.points.map((p) => Math.round(p.tokensPerSecond))).toEqual([100, 400, 1600]);
    expect(speed.source).toBe('measured');
    // The timed prefill (32 tokens in one 10 ms step) comes after an untimed warm-up prefill.
    expect(speed.prefillTokensPerSecond).toBe(3200);
    expect(engine.liveSequences).toBe(0);
    const store = new Map<string, DecodeSpeed>();
    const cache: SpeedCache = { get: (k) => store.get(k), set: (k, v) => void store.set(k, v) };
    await cachedDecodeSpeed(engine, { cache, now: () => clock });
    const steps = engine.stepBatchSizes.length;
    await cachedDecodeSpeed(engine, { cache, now: () => clock });
    expect(engine.stepBatchSizes.length).toBe(steps);
    expect(store.size).toBe(1);
  });

  it('reports every strategy parameter at its effective value, lowered to fit the planned N', () => {
    const dc = planRequest({
      strategy: parseStrategy({ name: 'deepconf', warmup: 12 }),
      choices: 1,
      maxTokens: 256,
      promptTokens: 0,
      budget: { tokens: 256 * 8 },
      seed: 1,
    });
    expect(dc.n).toBe(8);
    expect(dc.params).toMatchObject({ warmup: 8, keep: 0.9, window: 32, topK: 20 });
    expect(dc.notes).toContain('warmup lowered from 12 to 8 to fit N = 8');
    const beam = planRequest({
      strategy: parseStrategy('beam@6'),
      choices: 1,
      maxTokens: 64,
      promptTokens: 0,
      seed: 1,
    });
    expect(beam.params).toEqual({ width: 4, iterations: 40, aggregate: 'last' });
  });

  it('errors are typed', () => {
    expect(() =>
      planRequest({
        strategy: parseStrategy('sc'),
        choices: 1,
        promptTokens: 0,
        budget: { latencyMs: 10 },
        seed: 1,
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid-argument', field: 'budget.latencyMs' }));
    expect(isRuminateError(new RuminateError('budget-too-small', 'x'), 'budget-too-small')).toBe(true);
  });
});
