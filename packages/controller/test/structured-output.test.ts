// Structured output through the public API over Ruminate's runtime (WebAssembly backend):
// `response_format` (OpenAI's and WebLLM's spellings), `grammar` and `regex` enforced under
// strategies (self-consistency votes over the parsed JSON value; best-of-N's schema verifier
// becomes a no-op that says so in the trace), a GBNF grammar over the bundled model's alphabet
// (forcing method B) under self-consistency, and tool calls that round-trip through the
// official `openai` client's types. The request mapping and tool parsing are unit-tested in
// structured-output-mapping.test.ts.
import { RuminateEngine } from '@ruminate/runtime';
import Ajv from 'ajv';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFile, REPO_ROOT } from '../../../tools/fixtures/standard-fixtures.ts';
import { gguf } from '../../runtime/src/gguf/metadata.ts';
import { createEngine, type JsonSchema, type RuminateClient } from '../src/index.ts';

/** A Qwen-style (hermes) chat template that renders tools and past tool calls. */
const TOOL_TEMPLATE =
  '{%- if tools %}<|im_start|>system\n<tools>{% for t in tools %}{{ t.function.name }} {% endfor %}</tools><|im_end|>\n{%- endif %}' +
  '{%- for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}' +
  '{%- if m.tool_calls %}{% for c in m.tool_calls %}<tool_call>\n{"name": "{{ c.function.name }}", "arguments": {{ c.function.arguments }}}\n</tool_call>{% endfor %}{% endif %}' +
  '<|im_end|>\n{%- endfor %}{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}';

let fixture: RuminateClient;
let bundled: RuminateClient;
beforeAll(async () => {
  const path = await fixtureFile('tools-llama-q8_0', {
    arch: 'llama',
    seed: 9101,
    weightType: 'q8_0',
    nLayers: 2,
    nEmbd: 128,
    nHeads: 2,
    nKvHeads: 1,
    nFf: 256,
    outputScale: 2,
    contextLength: 512,
    extraMetadata: [['tokenizer.chat_template', gguf.str(TOOL_TEMPLATE)]],
  });
  fixture = await createEngine({
    engine: new RuminateEngine({ backend: 'wasm', maxSequences: 40 }),
    model: path,
    load: { contextLength: 512, threads: 1 },
  });
  bundled = await createEngine({
    engine: new RuminateEngine({ backend: 'wasm', maxSequences: 40 }),
    model: `${REPO_ROOT}/models/mul-q8_0.gguf`,
    load: { threads: 1 },
  });
});
afterAll(async () => {
  await fixture?.unload();
  await bundled?.unload();
});

const point: JsonSchema = {
  type: 'object',
  properties: { x: { type: 'integer', minimum: 0, maximum: 9 }, tag: { enum: ['a', 'b'] } },
  required: ['x', 'tag'],
};

describe('structured output through the API (wasm backend)', () => {
  it('json_schema under self-consistency: every candidate validates, votes are over the parsed value', async () => {
    const validate = new Ajv().compile(point);
    const r = await fixture.chat.completions.create({
      messages: [{ role: 'user', content: 'a point' }],
      response_format: { type: 'json_schema', json_schema: { name: 'point', schema: point, strict: true } },
      strategy: 'sc@8',
      temperature: 1.5,
      max_tokens: 48,
      seed: 5,
    });
    for (const c of r.ruminate.trace) expect(validate(JSON.parse(c.text)), c.text).toBe(true);
    // The vote's answer is canonical JSON: keys sorted, no spaces.
    const answer = r.ruminate.answer as string;
    expect(answer).toBe(JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(answer)).sort())));
    expect(JSON.parse(r.choices[0]?.message.content ?? '')).toEqual(JSON.parse(answer));
  });

  it("best-of-N's schema verifier is a no-op under an enforced schema, and the trace says so", async () => {
    const r = await fixture.chat.completions.create({
      messages: [{ role: 'user', content: 'a point' }],
      // WebLLM's spelling: JSON mode with the schema as JSON text.
      response_format: { type: 'json_object', schema: JSON.stringify(point) },
      strategy: 'bon@4',
      temperature: 1.2,
      max_tokens: 48,
      seed: 3,
    });
    const scored = r.ruminate.trace.map((c) => c.events.find((e) => e.type === 'scored')?.detail ?? '');
    expect(scored).toHaveLength(4);
    for (const d of scored)
      expect(d).toMatch(/^json-schema \(enforced\)=1 \(schema enforced while decoding; not re-checked\)$/);
  });

  it('a regex and a GBNF grammar hold for every sample of a completion request with n', async () => {
    const r = await fixture.completions.create({
      prompt: 'code:',
      regex: '[A-Z]{2}-[0-9]{3}',
      n: 6,
      strategy: 'sample@6',
      temperature: 2,
      seed: 11,
      max_tokens: 16,
    });
    expect(r.choices).toHaveLength(6);
    for (const c of r.choices) expect(c.text).toMatch(/^[A-Z]{2}-[0-9]{3}$/);
  });

  it('the bundled model under a grammar forcing method B keeps to it under self-consistency', async () => {
    // The task's solution language, method B only: B:a*p=q,…,s+t=u,…#answer
    const grammar = [
      'root ::= "B:" step ("," step)* "#" num',
      'step ::= num ("*" | "+") num "=" num',
      'num ::= [0-9]+',
    ].join('\n');
    for (const [a, b] of [
      [47, 36],
      [83, 215],
    ] as const) {
      const r = await bundled.chat.completions.create({
        messages: [{ role: 'user', content: `${a}*${b}` }],
        grammar,
        strategy: 'sc@8',
        temperature: 0.8,
        seed: 7,
        max_tokens: 80,
      });
      for (const c of r.ruminate.trace) {
        expect(c.text).toMatch(/^B:\d+[*+]\d+=\d+(,\d+[*+]\d+=\d+)*#\d+$/);
        expect(c.finishReason).toBe('eos');
      }
      // The vote is over the candidates' answers (the digits after '#'): the plurality wins.
      const counts = new Map<string, number>();
      for (const c of r.ruminate.trace) {
        const ans = /#(\d+)$/.exec(c.text)?.[1] as string;
        counts.set(ans, (counts.get(ans) ?? 0) + 1);
      }
      expect(counts.get(r.ruminate.answer as string)).toBe(Math.max(...counts.values()));
    }
  });

  it('tool calls are constrained to the parameter schema and round-trip through the openai types', async () => {
    const weather = {
      type: 'function' as const,
      function: {
        name: 'get_weather',
        description: 'Weather in a city',
        parameters: {
          type: 'object',
          properties: { city: { enum: ['Oslo', 'Lima'] }, days: { type: 'integer', minimum: 1, maximum: 7 } },
          required: ['city', 'days'],
        },
      },
    };
    const time = {
      type: 'function' as const,
      function: {
        name: 'get_time',
        parameters: { type: 'object', properties: { tz: { enum: ['UTC', 'CET'] } }, required: ['tz'] },
      },
    };
    const request: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = {
      model: 'fixture',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [weather, time],
      tool_choice: 'required',
      temperature: 1,
      seed: 2,
      max_tokens: 160,
    };
    const r = await fixture.chat.completions.create(
      request as Parameters<typeof fixture.chat.completions.create>[0] & { stream?: false },
    );
    const typed: OpenAI.Chat.Completions.ChatCompletion = r;
    const choice = typed.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = choice?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function call');
    const schemas = { get_weather: weather.function.parameters, get_time: time.function.parameters };
    const args = JSON.parse(call.function.arguments);
    expect(new Ajv().compile(schemas[call.function.name as keyof typeof schemas])(args)).toBe(true);

    // A named function is the only one called.
    const named = await fixture.chat.completions.create({
      ...request,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    } as Parameters<typeof fixture.chat.completions.create>[0] & { stream?: false });
    expect(named.choices[0]?.message.tool_calls?.every((c) => c.function.name === 'get_time')).toBe(true);

    // The call and its result go back in as the next turn, typed as the openai client types them.
    const next: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      ...request.messages,
      { role: 'assistant', content: null, tool_calls: choice?.message.tool_calls },
      { role: 'tool', tool_call_id: call.id, content: '{"temp": 4}' },
    ];
    const follow = await fixture.chat.completions.create({
      messages: next as never,
      tools: [weather, time],
      tool_choice: 'none',
      max_tokens: 8,
      temperature: 0,
    });
    expect(follow.choices[0]?.message.tool_calls).toBeUndefined();

    // Streamed, the calls arrive as tool_calls deltas in OpenAI's shape.
    const chunks = await fixture.chat.completions.create({ ...request, stream: true } as never);
    const deltas: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of chunks as AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>)
      deltas.push(c);
    const streamed = deltas.flatMap((c) => c.choices.flatMap((x) => x.delta.tool_calls ?? []));
    expect(streamed[0]?.function?.name).toBe(call.function.name);
    expect(deltas.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });
});
