// Sessions of one shared engine (the SharedWorker's tabs): queued steps, per-tab abort, and
// sequences freed when a tab lets go — against a scripted engine, and once through Comlink.
import { isRuminateError } from '@ruminate/errors';
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import type { StepRequest, StepResult } from '../src/engine/types.ts';
import { EngineSession, type SharedEngine, StepQueue } from '../src/worker/engine-session.ts';

/** A scripted engine whose steps finish when the test says so, refusing overlap as the real one does. */
function scriptedEngine() {
  let next = 1;
  const freed: number[] = [];
  const log: string[] = [];
  const pending: (() => void)[] = [];
  let running = false;
  let aborts = 0;
  const engine = {
    createSequence: async () => next++,
    fork: async (_seq: number, count: number) => Array.from({ length: count }, () => next++),
    free: async (seq: number) => {
      freed.push(seq);
    },
    abort: async () => {
      aborts++;
    },
    step: async (batch: StepRequest[]): Promise<StepResult[]> => {
      if (running) throw new Error('overlapping steps');
      running = true;
      const tag = batch.map((b) => b.seq).join(',');
      log.push(`start ${tag}`);
      await new Promise<void>((resolve) => pending.push(resolve));
      log.push(`end ${tag}`);
      running = false;
      return batch.map((b) => ({ seq: b.seq, token: 7, logprob: 0 }) as unknown as StepResult);
    },
  } as unknown as SharedEngine;
  const finishOne = async () => {
    while (pending.length === 0) await new Promise((r) => setTimeout(r, 1));
    pending.shift()?.();
    await new Promise((r) => setTimeout(r, 1));
  };
  return { engine, freed, log, finishOne, aborts: () => aborts };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return isRuminateError(e) ? e.code : String(e);
  }
}

const greedy = { temperature: 0 };

/** Two tabs on one scripted engine, each with a sequence and a step submitted (a's first). */
async function twoTabsStepping() {
  const s = scriptedEngine();
  const queue = new StepQueue();
  const a = new EngineSession(s.engine, queue);
  const b = new EngineSession(s.engine, queue);
  const sa = await a.createSequence([1]);
  const sb = await b.createSequence([2]);
  return {
    s,
    a,
    b,
    sa,
    sb,
    pa: a.step([{ seq: sa, sampling: greedy }]),
    pb: b.step([{ seq: sb, sampling: greedy }]),
  };
}

describe('EngineSession', () => {
  it('runs two tabs’ concurrent steps one after the other, in arrival order', async () => {
    const { s, sa, sb, pa, pb } = await twoTabsStepping();
    await s.finishOne();
    await s.finishOne();
    await Promise.all([pa, pb]);
    expect(s.log).toEqual([`start ${sa}`, `end ${sa}`, `start ${sb}`, `end ${sb}`]);
  });

  it('aborts only the aborting tab’s steps: its running one through the engine, its queued ones before they start', async () => {
    const { s, a, b, sa, pa, pb } = await twoTabsStepping();
    const bCode = codeOf(pb);
    await b.abort(); // b's step is queued behind a's: it never starts, and a's is untouched
    expect(s.aborts()).toBe(0);
    await s.finishOne();
    await pa;
    expect(await bCode).toBe('aborted');
    expect(s.log).toEqual([`start ${sa}`, `end ${sa}`]);
    const pa2 = a.step([{ seq: sa, sampling: greedy }]);
    await new Promise((r) => setTimeout(r, 5));
    await a.abort(); // a's own running step: the engine is told
    expect(s.aborts()).toBe(1);
    await s.finishOne();
    await pa2;
  });

  it('frees the sequences a tab holds when it closes, and only those', async () => {
    const s = scriptedEngine();
    const queue = new StepQueue();
    const a = new EngineSession(s.engine, queue);
    const b = new EngineSession(s.engine, queue);
    const root = await a.createSequence([1, 2]);
    const forks = await a.fork(root, 2);
    await a.free(forks[0] as number);
    const other = await b.createSequence([3]);
    expect(a.liveSequences).toEqual([root, forks[1]]);
    await a.close();
    expect(s.freed.sort()).toEqual([root, ...forks].sort());
    expect(s.freed).not.toContain(other);
    expect(b.liveSequences).toEqual([other]);
  });

  it('frees a tab’s sequences when the tab releases its Comlink proxy', async () => {
    const s = scriptedEngine();
    const channel = new MessageChannel();
    Comlink.expose(new EngineSession(s.engine, new StepQueue()), channel.port1);
    const remote = Comlink.wrap<EngineSession>(channel.port2);
    const seq = await remote.createSequence([1]);
    remote[Comlink.releaseProxy]();
    for (let i = 0; i < 50 && s.freed.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(s.freed).toEqual([seq]);
    channel.port1.close();
  });
});
