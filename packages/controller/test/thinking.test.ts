// Thinking budgets: `thinking: 'off' | 'on' | { maxTokens }` on a scripted thinking model (every
// strategy, the forced end at the budget) and on a random-weight qwen3 fixture whose chat template
// reads `enable_thinking`, through the real tokenizer, template and wasm backend.
import { RuminateEngine } from '@ruminate/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qwen3ThinkingFixture } from '../../../tools/fixtures/standard-fixtures.ts';
import { createEngine, runStrategy, type ScriptedModel } from '../src/index.ts';
import { answerModel, dist, engineFor } from './scripted-models.ts';

const VOCAB = ['<eos>', 'Q', '<think>', '</think>', '\n', ' hm', 'The answer is ', '7', '8'];

/**
 * A model that thinks until told to stop: after the prompt it opens `<think>` (unless the prompt
 * already closed a section) and says " hm" forever; after `</think>` and a blank line it answers 8.
 */
const thinker: ScriptedModel = {
  vocab: VOCAB,
  eos: [0],
  name: 'thinker',
  next(tokens, promptLength) {
    const gen = tokens.slice(promptLength);
    const closed = tokens.lastIndexOf(3);
    if (closed < 0)
      return dist(VOCAB, gen.length === 0 && !tokens.includes(2) ? { '<think>': 1 } : { ' hm': 1 });
    const after = tokens.slice(closed + 1);
    if (after.length < 2) return dist(VOCAB, { '\n': 1 });
    if (after.includes(6))
      return dist(VOCAB, after.includes(7) || after.includes(8) ? { '<eos>': 1 } : { '8': 1 });
    return dist(VOCAB, { 'The answer is ': 1 });
  },
};

const thoughtOf = (text: string) => text.slice(0, text.indexOf('</think>')).split(' hm').length - 1;

describe('thinking budgets on a scripted model', () => {
  it('closes the thinking section by force at the budget, for every candidate of every strategy', async () => {
    for (const strategy of ['greedy', 'sc@4', 'bon@3', 'qalign@6', 'pf@3', 'beam@4']) {
      const engine = engineFor(thinker);
      const r = await runStrategy(engine, {
        messages: [{ role: 'user', content: 'Q' }],
        strategy,
        thinking: { maxTokens: 5 },
        maxTokens: 40,
        delimiter: '\n\n',
        seed: 2,
      });
      const finished = r.trace.filter((c) => c.finishReason === 'eos');
      expect(finished.length, strategy).toBeGreaterThan(0);
      for (const c of finished) {
        expect(c.text, strategy).toMatch(/^<think>( hm){4}\n<\/think>\n\nThe answer is 8$/);
      }
      const forced = r.trace.filter((c) => c.events.some((e) => e.type === 'forced'));
      expect(forced.length, strategy).toBeGreaterThan(0);
      for (const c of forced)
        expect(c.events.find((e) => e.type === 'forced')?.detail).toBe('thinking budget of 5 tokens reached');
      expect(r.text).toContain('The answer is 8');
      expect(engine.liveSequences).toBe(0);
    }
  });

  it("with 'off' the prompt ends with an empty section and no thinking is generated", async () => {
    const engine = engineFor(thinker);
    const r = await runStrategy(engine, {
      messages: [{ role: 'user', content: 'Q' }],
      strategy: 'sc@3',
      thinking: 'off',
      maxTokens: 20,
      seed: 1,
    });
    for (const c of r.trace) expect(c.text).toBe('The answer is 8');
    expect(r.usage.promptTokens).toBe((await engine.tokenize('Q\n<think>\n\n</think>\n\n')).length);
  });

  it("with 'on' the model thinks until max_tokens; { maxTokens: 0 } is 'off'", async () => {
    const on = await runStrategy(engineFor(thinker), {
      messages: [{ role: 'user', content: 'Q' }],
      strategy: 'greedy',
      thinking: 'on',
      maxTokens: 12,
    });
    expect(on.text).toBe(`<think>${' hm'.repeat(11)}`);
    expect(thoughtOf(`${on.text}</think>`)).toBe(11);
    const zero = await runStrategy(engineFor(thinker), {
      messages: [{ role: 'user', content: 'Q' }],
      strategy: 'greedy',
      thinking: { maxTokens: 0 },
      maxTokens: 12,
    });
    expect(zero.text).toBe('The answer is 8');
  });

  it("with 'off' a plain prompt gets an empty section appended, and a prompt that opened one gets it closed", async () => {
    const engine = engineFor(thinker);
    const plain = await runStrategy(engine, {
      prompt: 'Q',
      strategy: 'greedy',
      thinking: 'off',
      maxTokens: 12,
    });
    expect(plain.text).toBe('The answer is 8');
    expect(plain.usage.promptTokens).toBe((await engine.tokenize('Q<think>\n\n</think>\n\n')).length);
    const opened = await runStrategy(engine, {
      promptTokens: await engine.tokenize('Q<think> hm'),
      strategy: 'greedy',
      thinking: 'off',
      maxTokens: 12,
    });
    expect(opened.text).toBe('The answer is 8');
    expect(opened.usage.promptTokens).toBe((await engine.tokenize('Q<think> hm\n</think>\n\n')).length);
  });

  it('rejects a bad thinking value, and a budget for a model without a thinking section, naming the field', async () => {
    const engine = engineFor(thinker);
    for (const thinking of ['maybe', { maxTokens: -1 }, { maxTokens: 1.5 }, {}]) {
      await expect(
        // biome-ignore lint/suspicious/noExplicitAny: the point is a value the type forbids
        runStrategy(engine, { prompt: 'Q', strategy: 'greedy', thinking: thinking as any }),
      ).rejects.toMatchObject({ code: 'invalid-argument', field: 'thinking' });
    }
    const plain = engineFor(answerModel({ '7': 1 }));
    await expect(
      runStrategy(plain, { prompt: 'Q:', strategy: 'greedy', thinking: { maxTokens: 4 } }),
    ).rejects.toMatchObject({ code: 'invalid-argument', field: 'thinking' });
    const r = await runStrategy(plain, { prompt: 'Q:', strategy: 'greedy', thinking: 'on' });
    expect(r.text).toBe('The answer is 7');
  });
});

describe('thinking budgets on a qwen3 fixture (real template, tokenizer and wasm backend)', () => {
  let engine: RuminateEngine;
  beforeAll(async () => {
    engine = new RuminateEngine({ backend: 'wasm', maxSequences: 8 });
    await engine.load(await qwen3ThinkingFixture(), { contextLength: 256, threads: 1 });
  });
  afterAll(() => engine.unload());

  it("renders enable_thinking: 'off' gives the template's empty section, 'on' none", async () => {
    const client = await createEngine({ engine, measure: false });
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const off = await client.chat.completions.create({
      messages,
      thinking: 'off',
      max_tokens: 1,
      temperature: 0,
    });
    const on = await client.chat.completions.create({
      messages,
      thinking: 'on',
      max_tokens: 1,
      temperature: 0,
    });
    const offPrompt = await engine.applyChatTemplate(messages, { variables: { enable_thinking: false } });
    const onPrompt = await engine.applyChatTemplate(messages, { variables: { enable_thinking: true } });
    expect(await engine.detokenize(offPrompt)).toMatch(/assistant\n<think>\n\n<\/think>\n\n$/);
    expect(await engine.detokenize(onPrompt)).not.toContain('<think>');
    expect(off.usage.prompt_tokens).toBe(offPrompt.length);
    expect(on.usage.prompt_tokens).toBe(onPrompt.length);
  });

  it('forces </think> after exactly the budget when the prompt opened the section', async () => {
    const prompt = [
      ...(await engine.applyChatTemplate([{ role: 'user', content: 'hi' }])),
      ...(await engine.tokenize('<think>', { special: true })),
    ];
    const close = await engine.tokenize('\n</think>\n\n', { special: true });
    const r = await runStrategy(engine, {
      promptTokens: prompt,
      strategy: 'sc@2',
      thinking: { maxTokens: 6 },
      maxTokens: 14,
      seed: 4,
    });
    for (const c of r.trace) {
      if (c.tokens.length < 6 + close.length) continue; // ended at EOS before the budget
      expect(c.tokens.slice(6, 6 + close.length)).toEqual(close);
      expect(c.text).toContain('</think>');
    }
    expect(r.trace.some((c) => c.tokens.length >= 6 + close.length)).toBe(true);
  });
});
