// The remote engine end to end: `createEngine({ remote })` against `ruminate serve` on loopback,
// every registered strategy run with the bundled model's task (its verifier re-checks the written
// work, its step scorer the finished steps), the capability detection, the trace saying that forks
// re-send their prefix, the CLI's `generate --remote`, and the ordered fallback choosing the
// server when the local engine cannot load.
import { join } from 'node:path';
import { createEngine, getTask, listStrategies, type RunResult } from '@ruminate/controller';
import { RuminateError } from '@ruminate/errors';
import type { Engine } from '@ruminate/runtime';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../../tools/fixtures/standard-fixtures.ts';
import { generateCommand } from '../../cli/src/commands/generate.ts';
import { type ServedModel, serveModel } from '../src/index.ts';

const MODEL = join(REPO_ROOT, 'models', 'mul-q8_0.gguf');
let served: ServedModel;

beforeAll(async () => {
  served = await serveModel({ model: MODEL, port: 0, backend: 'wasm', threads: 1, maxSequences: 48 });
});
afterAll(async () => {
  await served.close();
});

const mul = getTask('mul');
/** A request for `prompt` with the task's verifier, step scorer, delimiter and answer extraction. */
function mulRequest(strategy: string, prompt: string) {
  return {
    prompt,
    strategy,
    maxTokens: mul.maxTokens,
    seed: 5,
    verifier: mul.verifier(),
    stepScorer: mul.stepScorer(),
    answer: mul.answer,
    delimiter: mul.stepDelimiter,
  };
}

describe('the remote engine over ruminate serve', () => {
  it('runs every registered strategy end to end', async () => {
    const client = await createEngine({ remote: { baseURL: served.server.url } });
    expect(client.chosen).toMatchObject({ kind: 'remote', index: 0 });
    expect(client.engine).toBeUndefined();
    const names = listStrategies().map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
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
      ]),
    );
    const results = new Map<string, RunResult>();
    for (const name of names) {
      const r = await client.run(mulRequest(name === 'greedy' ? name : `${name}@4`, '68*24='));
      results.set(name, r);
      expect(r.trace.length, name).toBeGreaterThan(0);
      if (!r.abstained) {
        expect(r.text, name).toMatch(/^[AB]:/);
        expect(
          r.trace.some((c) => c.id === r.winner),
          name,
        ).toBe(true);
      }
      // (null: a search node released once forked, as on a local engine)
      for (const c of r.trace)
        expect(['eos', 'stop', 'length', 'pruned', null], `${name} ${c.id}`).toContain(c.finishReason);
      const winner = r.trace.find((c) => c.id === r.winner);
      if (winner) expect(['eos', 'stop', 'length'], name).toContain(winner.finishReason);
      expect(r.usage.generatedTokens, name).toBeGreaterThan(0);
    }
    // Voting strategies vote on the answers they extracted.
    expect(results.get('sc')?.answer).toMatch(/^\d+$/);
    // Step-wise search forks mid-answer: the server has no KV fork, the prefix is re-sent, and the trace says so.
    const beamEvents = results.get('beam')?.trace.flatMap((c) => c.events) ?? [];
    expect(beamEvents.some((e) => e.type === 'forked' && /re-sent/.test(e.detail ?? ''))).toBe(true);
    // ruminate serve supports n and log-probabilities: found out once, then used.
    expect(client.remote?.capabilities).toEqual({ n: true, logprobs: true });
    // Log-probabilities came through: the samples' tokens have finite ones.
    const tokensLp = results.get('sample')?.trace[0];
    expect(tokensLp?.tokens.length).toBeGreaterThan(0);
  });

  it('continues a chat answer across forks with continue_final_message', async () => {
    const client = await createEngine({ remote: { baseURL: served.server.url } });
    const { prompt: _p, ...rest } = mulRequest('beam@2', '');
    const r = await client.run({ ...rest, messages: [{ role: 'user', content: '68*24=' }] });
    const forked = r.trace.filter((c) => c.events.some((e) => e.type === 'forked'));
    expect(forked.length).toBeGreaterThan(0);
    // Each step was generated after the re-sent text of the steps before it: one worked answer,
    // never a second "A:" or "B:" started over.
    for (const c of r.trace) expect(c.text, String(c.id)).toMatch(/^[AB]:[^AB]*$/);
    const winner = r.trace.find((c) => c.id === r.winner);
    expect(winner?.steps.length).toBeGreaterThan(2);
    expect(winner?.text).toMatch(/#\d+$/);
  });

  it('streams a chat run through the remote client', async () => {
    const client = await createEngine({ remote: { baseURL: served.server.url, model: 'mul-q8_0' } });
    const stream = await client.chat.completions.create({
      messages: [{ role: 'user', content: '68*24=' }],
      strategy: 'sample@2',
      n: 2,
      max_tokens: 48,
      seed: 21,
      stream: true,
      logprobs: true,
    });
    const texts = ['', ''];
    let last: { ruminate?: { trace?: unknown[] } } | undefined;
    for await (const chunk of stream) {
      for (const c of chunk.choices) texts[c.index] += c.delta.content ?? '';
      last = chunk;
    }
    // The streamed deltas add up to the candidates' texts in the final trace.
    const trace = (last?.ruminate?.trace ?? []) as { text: string }[];
    expect(trace).toHaveLength(2);
    expect(texts).toEqual(trace.map((c) => c.text));
    for (const t of texts) expect(t).toMatch(/^[AB]:/);
  });

  it('prints the same JSON as a local run from ruminate generate --remote', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      written.push(String(s));
      return true;
    });
    let code: number;
    try {
      code = await generateCommand.run([
        '--remote',
        served.server.url,
        '--prompt',
        '57*31=',
        '--strategy',
        'sc',
        '--n',
        '8',
        '--task',
        'mul',
        '--json',
      ]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    const json = JSON.parse(written.join('')) as {
      text: string;
      winner: number;
      trace: unknown[];
      plan: { n: number };
    };
    expect(json.text).toMatch(/^[AB]:/);
    expect(json.trace).toHaveLength(8);
    expect(typeof json.winner).toBe('number');
    expect(json.plan.n).toBe(8);
  });

  it('falls back to the server when the local engine cannot load, and says why', async () => {
    const tooBig = {
      load: async () => {
        throw new RuminateError('model-too-large', 'The model needs 9 GB; this device has 2 GB.');
      },
      info: async () => undefined,
    } as unknown as Engine;
    const client = await createEngine([
      { engine: tooBig, model: 'https://example.invalid/big.gguf' },
      { remote: { baseURL: served.server.url } },
    ]);
    expect(client.chosen.index).toBe(1);
    expect(client.chosen.kind).toBe('remote');
    expect(client.chosen.rejected).toEqual([
      expect.objectContaining({ index: 0, kind: 'local', code: 'model-too-large' }),
    ]);
    expect(client.chosen.reason).toMatch(/model-too-large/);
    const r = await client.completions.create({ prompt: '12*34=', max_tokens: 40 });
    expect(r.choices[0]?.text).toMatch(/^[AB]:/);
  });
});
