import { ScriptedEngine, type ScriptedModel } from '@ruminate/controller';
import { describe, expect, it } from 'vitest';
import { RuminateStore } from '../src/ruminate-store.ts';

// Answers "7" with probability 0.75, "9" otherwise, then EOS.
const vocab = ['<eos>', 'Q', 'The answer is ', '7', '9'];
const model: ScriptedModel = {
  vocab,
  eos: [0],
  next(tokens, promptLength) {
    const n = tokens.length - promptLength;
    if (n === 0) return [0, 0, 1, 0, 0];
    if (n === 1) return [0, 0, 0, 0.75, 0.25];
    return [1, 0, 0, 0, 0];
  },
};

describe('RuminateStore', () => {
  it('loads, plans, streams a self-consistency run into state and ends ready', async () => {
    const engine = new ScriptedEngine(model);
    const store = new RuminateStore({ engine, model: 'scripted', measure: false });
    const states: string[] = [];
    store.subscribe(() => {
      const s = store.getSnapshot().status;
      if (states.at(-1) !== s) states.push(s);
    });
    await store.start();
    const plan = await store.plan({ messages: [{ role: 'user', content: 'Q' }], strategy: 'sc@8', seed: 3 });
    expect(plan.n).toBe(8);
    const run = await store.generate({
      messages: [{ role: 'user', content: 'Q' }],
      strategy: 'sc@8',
      seed: 3,
      max_tokens: 4,
    });
    expect(run.done).toBe(true);
    expect(run.candidates).toHaveLength(8);
    // Self-consistency: the winner carries the majority answer, and its votes are that answer's count.
    const sevens = run.candidates.filter((c) => c.answer === '7').length;
    const majority = sevens >= 4 ? '7' : '9';
    const winner = run.candidates.find((c) => c.fate === 'winner');
    expect(winner?.answer).toBe(majority);
    expect(winner?.votes).toBe(majority === '7' ? sevens : 8 - sevens);
    expect(run.text).toBe(`The answer is ${majority}`);
    expect(run.candidates.filter((c) => c.fate === 'winner')).toHaveLength(1);
    expect(states).toEqual(['loading', 'ready', 'running', 'ready']);
    expect(store.getSnapshot().plan?.strategy).toBe('sc');
    expect(engine.liveSequences).toBe(0);
  });

  it('abort() cancels the run, releases every sequence and reports the error', async () => {
    let store: RuminateStore | undefined;
    const engine = new ScriptedEngine(model, { onStep: (i) => i === 1 && store?.abort() });
    store = new RuminateStore({ engine, model: 'scripted', measure: false });
    await expect(
      store.generate({ messages: [{ role: 'user', content: 'Q' }], strategy: 'sc@4', max_tokens: 4 }),
    ).rejects.toMatchObject({ code: 'aborted' });
    expect(engine.liveSequences).toBe(0);
    expect(store.getSnapshot().status).toBe('ready');
    expect(store.getSnapshot().error).not.toBeNull();
  });

  it('dispose() aborts work in flight, stops state updates and lets a later start load again', async () => {
    let store: RuminateStore | undefined;
    let loads = 0;
    const engine = new ScriptedEngine(model, { onStep: (i) => i === 1 && store?.dispose() });
    const load = engine.load.bind(engine);
    engine.load = (s) => {
      loads++;
      return load(s);
    };
    store = new RuminateStore({ engine, model: 'scripted', measure: false });
    const run = store.generate({
      messages: [{ role: 'user', content: 'Q' }],
      strategy: 'sc@4',
      max_tokens: 4,
    });
    await expect(run).rejects.toMatchObject({ code: 'aborted' });
    expect(engine.liveSequences).toBe(0);
    expect(store.getSnapshot().status).toBe('idle');
    await store.start();
    expect(loads).toBe(2);
  });

  it('reports a load failure as status error with the typed error', async () => {
    const store = new RuminateStore({ engine: () => Promise.reject(new Error('no GPU here')), model: 'x' });
    await expect(store.start()).rejects.toThrow('no GPU here');
    expect(store.getSnapshot().status).toBe('error');
    expect(store.getSnapshot().error?.message).toBe('no GPU here');
  });
});
