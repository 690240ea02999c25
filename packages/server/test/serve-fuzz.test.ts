// Hostile input for `ruminate serve`: request bodies assembled at random (fresh seed each run,
// RUMINATE_TEST_SEED to replay) from fields of the right and wrong types, sizes and ranges, sent
// concurrently. Every reply must be a completion or OpenAI's error JSON with a 4xx status — never
// a 500, a hang or a dead process — and the engine must hold no sequence afterwards.
import { join } from 'node:path';
import { createRng } from '@ruminate/controller';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../tools/fixtures/standard-fixtures.ts';
import { type ServedModel, serveModel } from '../src/index.ts';

const MODEL = join(REPO_ROOT, 'models', 'mul-q8_0.gguf');
const SEED = Number(process.env.RUMINATE_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
let served: ServedModel;

beforeAll(async () => {
  served = await serveModel({ model: MODEL, port: 0, backend: 'wasm', threads: 1, maxSequences: 32 });
});
afterAll(async () => {
  await served.close();
});

/** Values each field may take: sensible, wrong-typed, out of range, huge. */
const FIELDS: Record<string, unknown[]> = {
  model: [undefined, 'mul-q8_0', 'other', 7, null],
  n: [undefined, 1, 2, 0, -1, 1e9, 2.5, '2', null],
  max_tokens: [undefined, 1, 8, 24, 0, -5, 1e12, 'x'],
  temperature: [undefined, 0, 0.7, 2, -1, 1e9, Number.NaN, 'hot'],
  top_p: [undefined, 0.9, 0, 1.5, 'x'],
  seed: [undefined, 1, -3, 2 ** 40, 1.5],
  stop: [undefined, '#', ['=', ','], [], [''], 5, [null]],
  stream: [undefined, true, false, 'yes'],
  stream_options: [undefined, { include_usage: true }, 'x', null],
  logprobs: [undefined, true, false, 3, 'x'],
  top_logprobs: [undefined, 2, 20, 21, -1],
  frequency_penalty: [undefined, 0.5, 3, 'x'],
  logit_bias: [undefined, { '5': -100 }, { '5': 3 }, { x: -100 }, [1], 'x'],
  strategy: [
    undefined,
    'sc@2',
    'bon@2',
    'beam@2',
    'nope',
    { name: 'pf', samples: 2 },
    { name: 'sc', samples: 1e6 },
    5,
  ],
  budget: [undefined, { tokens: 64 }, { tokens: -1 }, { latencyMs: 'x' }, {}, 'x'],
  verifier: [undefined, 'mean-logprob', { exact: '1632' }, { tests: ['1'] }, 'unknown', 3],
  response_format: [undefined, { type: 'json_object' }, { type: 'nope' }, 'x'],
  continue_final_message: [undefined, true, 'x'],
};
const MESSAGES: unknown[] = [
  [{ role: 'user', content: '68*24=' }],
  [{ role: 'assistant', content: 'A:' }],
  [],
  'hello',
  [{ role: 'wizard', content: 'x' }],
  [{ role: 'user', content: 5 }],
  [null],
  [{ role: 'user', content: '\u0000\ud800 '.repeat(50) }],
];
const PROMPTS: unknown[] = [
  '57*31=',
  '',
  [1, 2, 3],
  [-1],
  [1e9],
  [[1]],
  ['a', 'b'],
  null,
  '\ud83d'.repeat(100),
];

describe('ruminate serve under hostile input', () => {
  it(`answers every random body with a completion or a 4xx error (seed ${SEED})`, async () => {
    const rand = createRng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const bodies = Array.from({ length: 120 }, () => {
      const chat = rand() < 0.5;
      // From nearly valid (few fields set, the first prompt) to every field set at random.
      const hostility = rand();
      const body: Record<string, unknown> = chat
        ? { messages: rand() < hostility ? pick(MESSAGES) : MESSAGES[0] }
        : { prompt: rand() < hostility ? pick(PROMPTS) : PROMPTS[0] };
      for (const [k, values] of Object.entries(FIELDS)) {
        const v = rand() < hostility * 0.6 ? pick(values) : undefined;
        if (v !== undefined) body[k] = v;
      }
      return { path: chat ? 'chat/completions' : 'completions', body };
    });
    const replies = await Promise.all(
      bodies.map(async ({ path, body }, i) => {
        const res = await fetch(`${served.server.url}/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        return { i, status: res.status, text, body };
      }),
    );
    for (const r of replies) {
      const where = `seed ${SEED} (RUMINATE_TEST_SEED to replay), body ${r.i}: ${JSON.stringify(r.body).slice(0, 300)} → ${r.status} ${r.text.slice(0, 200)}`;
      expect([200, 400, 404, 429], where).toContain(r.status);
      if (r.status === 200) {
        if (r.body.stream === true)
          expect(r.text.trimEnd().endsWith('data: [DONE]') || r.text.includes('"error"'), where).toBe(true);
        else expect(Array.isArray((JSON.parse(r.text) as { choices?: unknown }).choices), where).toBe(true);
      } else {
        const err = (JSON.parse(r.text) as { error?: { message?: unknown; type?: unknown; code?: unknown } })
          .error;
        expect(typeof err?.message, where).toBe('string');
        expect(typeof err?.type, where).toBe('string');
        expect(typeof err?.code, where).toBe('string');
      }
    }
    // Some bodies were valid and ran; others were refused.
    const statuses = replies.map((r) => r.status).join(',');
    expect(
      replies.some((r) => r.status === 200),
      statuses,
    ).toBe(true);
    expect(
      replies.some((r) => r.status === 400),
      statuses,
    ).toBe(true);
    const health = await fetch(served.server.url.replace('/v1', '/health'));
    expect(health.status).toBe(200);
    expect((await served.engine.memory()).sequences).toBe(0);
  });
});
