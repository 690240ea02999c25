// Structured output through the hooks' store: `response_format`, `grammar`, `regex` and `tools`
// reach the controller as given (no field whitelist), and a tool call comes back in the run view
// (`toolCalls`, finish reason `tool_calls`). The scripted engine has no constrained decoding, so
// the controller checks JSON afterwards and refuses a grammar or regex with grammar-unavailable:
// which also proves those fields arrived. Enforcement itself is tested on Ruminate's runtime in
// packages/controller/test/structured-output.test.ts.
import { type ChatTool, type JsonSchema, ScriptedEngine, type ScriptedModel } from '@ruminate/controller';
import { describe, expect, it } from 'vitest';
import { RuminateStore } from '../src/ruminate-store.ts';

const CALL = '{"name": "get_time", "arguments": {"tz": "UTC"}}';
const vocab = ['<eos>', 'Q', CALL, '{"x": 1}', 'plain text'];

/** A model that answers with one token of `vocab`, then EOS. */
function scripted(answer: number): ScriptedModel {
  return {
    vocab,
    eos: [0],
    next(tokens, promptLength) {
      const p = vocab.map(() => 0);
      p[tokens.length === promptLength ? answer : 0] = 1;
      return p;
    },
  };
}

const getTime: ChatTool = {
  type: 'function',
  function: {
    name: 'get_time',
    parameters: { type: 'object', properties: { tz: { enum: ['UTC', 'CET'] } } },
  },
};
const ask = [{ role: 'user' as const, content: 'Q' }];

async function store(answer: number): Promise<RuminateStore> {
  const s = new RuminateStore({
    engine: new ScriptedEngine(scripted(answer)),
    model: 'scripted',
    measure: false,
  });
  await s.start();
  return s;
}

describe('structured output through the React store', () => {
  it('tools + tool_choice: the call comes back as toolCalls with finish reason tool_calls', async () => {
    const s = await store(2);
    const run = await s.generate({ messages: ask, tools: [getTime], tool_choice: 'required', max_tokens: 4 });
    expect(run.finishReason).toBe('tool_calls');
    expect(run.toolCalls).toEqual([
      { id: expect.any(String), type: 'function', function: { name: 'get_time', arguments: '{"tz":"UTC"}' } },
    ]);
    expect(run.text).toBe('');
    expect(s.getSnapshot().run?.toolCalls).toEqual(run.toolCalls);
  });

  it('a reply that calls no tool has toolCalls null and its own finish reason', async () => {
    const run = await (await store(4)).generate({ messages: ask, max_tokens: 4 });
    expect(run.toolCalls).toBeNull();
    expect(run.finishReason).toBe('stop');
    expect(run.text).toBe('plain text');
  });

  it('response_format json_schema passes through: the schema is checked (JSON verifier) and bad schemas are typed errors', async () => {
    const s = await store(3);
    const schema: JsonSchema = { type: 'object', properties: { x: { type: 'integer' } }, required: ['x'] };
    const run = await s.generate({
      messages: ask,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema, strict: true } },
      strategy: 'bon@2',
      max_tokens: 4,
    });
    expect(JSON.parse(run.text)).toEqual({ x: 1 });
    // The schema reached the verifier: every candidate was scored by it.
    for (const c of run.extras?.trace ?? [])
      expect(c.events.find((e) => e.type === 'scored')?.detail).toMatch(/^json-schema/);
    await expect(
      s.generate({
        messages: ask,
        response_format: { type: 'json_object', schema: '{"type": ' },
        max_tokens: 4,
      }),
    ).rejects.toMatchObject({ code: 'invalid-schema' });
    expect(s.getSnapshot().error).toMatchObject({ code: 'invalid-schema' });
  });

  it('grammar and regex pass through (this engine cannot enforce them: grammar-unavailable naming the field)', async () => {
    const s = await store(4);
    await expect(s.generate({ messages: ask, grammar: 'root ::= "a"', max_tokens: 4 })).rejects.toMatchObject(
      {
        code: 'grammar-unavailable',
        field: 'grammar',
      },
    );
    await expect(s.generate({ messages: ask, regex: '[0-9]+', max_tokens: 4 })).rejects.toMatchObject({
      code: 'grammar-unavailable',
      field: 'regex',
    });
  });
});
