import { type DecodeSpeed, ScriptedEngine, type SpeedCache } from '@ruminate/controller';
import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it, vi } from 'vitest';
import { planCommandResult, runPlanCommand } from '../src/commands/plan.ts';
import { strategiesCommand, strategiesJson } from '../src/commands/strategies.ts';

// A scripted engine (no model file needed): any token continues with equal odds, EOS after 8.
const vocab = ['<eos>', 'The', ' answer', ' is', ' 4', '2', '\n'];
const scripted = () =>
  new ScriptedEngine({
    vocab,
    eos: [0],
    next: (tokens, promptLength) =>
      tokens.length - promptLength >= 8 ? [1, 0, 0, 0, 0, 0, 0] : [0, 1, 1, 1, 1, 1, 1],
  });
const speed = (t1: number, t4: number, t16: number): DecodeSpeed => ({
  source: 'measured',
  points: [
    { width: 1, tokensPerSecond: t1 },
    { width: 4, tokensPerSecond: t4 },
    { width: 16, tokensPerSecond: t16 },
  ],
});
const fixedCache = (s: DecodeSpeed): SpeedCache => ({ get: () => s, set: () => {} });

describe('ruminate plan', () => {
  it('prints the plan as JSON with strategy, n, maxTokens and expectedMs', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const errWrite = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await runPlanCommand(['--model', 'tiny.gguf', '--latency-ms', '5000', '--json'], {
        createEngine: scripted,
        speedCache: fixedCache(speed(100, 380, 1400)),
      });
      expect(code).toBe(0);
      const printed = write.mock.calls.map((c) => String(c[0])).join('');
      const plan = JSON.parse(printed) as Record<string, unknown>;
      expect(plan).toMatchObject({ strategy: 'sc' });
      expect(typeof plan.n).toBe('number');
      expect(typeof plan.maxTokens).toBe('number');
      expect(plan.expectedMs as number).toBeLessThanOrEqual(5000);
    } finally {
      write.mockRestore();
      errWrite.mockRestore();
    }
  });

  it('a slow device gets a smaller N for the same latency', async () => {
    const args = ['--model', 'm.gguf', '--latency-ms', '5000', '--max-tokens', '64'];
    const fast = await planCommandResult(args, {
      createEngine: scripted,
      speedCache: fixedCache(speed(100, 380, 1400)),
    });
    const slow = await planCommandResult(args, {
      createEngine: scripted,
      speedCache: fixedCache(speed(20, 60, 90)),
    });
    expect(slow.plan.n).toBeLessThan(fast.plan.n);
  });

  it('measures once when the cache is empty, and refuses a budget too small', async () => {
    const store = new Map<string, DecodeSpeed>();
    const cache: SpeedCache = { get: (k) => store.get(k), set: (k, v) => void store.set(k, v) };
    const r = await planCommandResult(['--model', 'm.gguf', '--tokens', '2000', '--strategy', 'bon@4'], {
      createEngine: scripted,
      speedCache: cache,
    });
    expect(store.size).toBe(1);
    expect(r.plan).toMatchObject({ strategy: 'bon', n: 3, maxTokens: 512 });
    await expect(
      planCommandResult(['--model', 'm.gguf', '--tokens', '4'], {
        createEngine: scripted,
        speedCache: cache,
      }),
    ).rejects.toSatisfy((e) => isRuminateError(e, 'budget-too-small') && e.field === 'budget.tokens');
    await expect(planCommandResult(['--latency-ms', '10'], { createEngine: scripted })).rejects.toSatisfy(
      (e) => isRuminateError(e, 'invalid-argument') && e.field === 'model',
    );
  });
});

describe('ruminate strategies', () => {
  it('lists every registered strategy with its aliases', async () => {
    const names = strategiesJson().map((s) => s.name);
    expect(names).toEqual([
      'greedy',
      'sample',
      'bon',
      'sc',
      'wsc',
      'asc',
      'deepconf',
      'beam',
      'dvts',
      'pf',
      'qalign',
    ]);
    expect(strategiesJson().find((s) => s.name === 'pf')?.aliases).toContain('particle-filter');
    expect(strategiesJson().find((s) => s.name === 'qalign')?.aliases).toContain('mcmc');
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await strategiesCommand.run(['--json'])).toBe(0);
      expect(JSON.parse(String(write.mock.calls[0]?.[0]))).toHaveLength(11);
    } finally {
      write.mockRestore();
    }
  });
});
