import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import { createEngine, type ScriptedModel, speculativeGreedy } from '../src/index.ts';
import { dist, engineFor } from './scripted-models.ts';

// The target's most likely next token is a function of the last two tokens; the draft knows the
// same function except at positions where `wrong(position)` holds, where it prefers another token.
const vocab = ['<eos>', 'Q:', 'a', 'b', 'c', 'd', 'e'];
function cycleModel(wrong: (pos: number) => boolean, length = 30): ScriptedModel {
  return {
    vocab,
    eos: [0],
    next(tokens, promptLength) {
      const pos = tokens.length - promptLength;
      if (pos >= length) return dist(vocab, { '<eos>': 1 });
      const prev = tokens[tokens.length - 1] ?? 2;
      const prev2 = tokens[tokens.length - 2] ?? 3;
      let best = 2 + ((prev * 3 + prev2 + pos) % 5);
      if (wrong(pos)) best = 2 + ((best - 2 + 1) % 5);
      const p = new Array<number>(vocab.length).fill(0.02);
      p[best] = 0.8;
      return p;
    },
  };
}

async function plainGreedy(model: ScriptedModel, prompt: number[], max: number): Promise<number[]> {
  const e = engineFor(model);
  const seq = await e.createSequence(prompt);
  const out: number[] = [];
  for (let i = 0; i < max; i++) {
    const [r] = await e.step([{ seq, sampling: { temperature: 0 } }]);
    if (!r || r.eos) break;
    out.push(r.token);
  }
  return out;
}

describe('speculative greedy decoding', () => {
  const prompt = [1];
  const target = cycleModel(() => false);

  it('gives exactly the target’s greedy tokens, in fewer target steps, with a perfect draft', async () => {
    const expected = await plainGreedy(target, prompt, 64);
    expect(expected).toHaveLength(30);
    const t = engineFor(target);
    const d = engineFor(cycleModel(() => false));
    const r = await speculativeGreedy(t, d, prompt, { gamma: 4, maxTokens: 64 });
    expect(r.tokens).toEqual(expected);
    expect(r.eos).toBe(true);
    expect(r.accepted).toBe(r.proposed); // a perfect draft is always accepted
    // A prefill round giving 1 token, then rounds of 4 draft tokens + the target's own: 1 + 6 × 5 = 30
    // tokens and EOS in 7 target steps instead of 31, each round one batch of 5 forks.
    expect(r.targetSteps).toBe(7);
    expect(t.stepBatchSizes).toEqual([1, 5, 5, 5, 5, 5, 5]);
    expect(t.liveSequences).toBe(0);
    expect(d.liveSequences).toBe(0);
    expect(t.pagesUsed).toBe(0);
  });

  it('stays exact when the draft is often wrong, and accepts less', async () => {
    const expected = await plainGreedy(target, prompt, 64);
    const t = engineFor(target);
    const d = engineFor(cycleModel((pos) => pos % 3 === 1));
    const r = await speculativeGreedy(t, d, prompt, { gamma: 3, maxTokens: 64 });
    expect(r.tokens).toEqual(expected);
    expect(r.accepted).toBeLessThan(r.proposed);
    expect(r.targetSteps).toBeLessThan(expected.length);
    expect(t.liveSequences).toBe(0);
  });

  it('respects max tokens, and releases everything on abort', async () => {
    const expected = await plainGreedy(target, prompt, 7);
    const r = await speculativeGreedy(engineFor(target), engineFor(target), prompt, {
      gamma: 4,
      maxTokens: 7,
    });
    expect(r.tokens).toEqual(expected);
    expect(r.eos).toBe(false);
    const ctrl = new AbortController();
    const t = engineFor(target, { onStep: (i) => i === 2 && ctrl.abort() });
    const d = engineFor(target);
    await expect(speculativeGreedy(t, d, prompt, { maxTokens: 64, signal: ctrl.signal })).rejects.toSatisfy(
      (e) => isRuminateError(e, 'aborted'),
    );
    expect(t.liveSequences).toBe(0);
    expect(d.liveSequences).toBe(0);
  });

  it('serves greedy requests through the API: same text, stop strings across tokens, streaming', async () => {
    const plainEngine = await createEngine({ engine: engineFor(target) });
    const plain = await plainEngine.completions.create({ prompt: 'Q:', strategy: 'greedy' });
    const text = plain.choices[0]?.text ?? '';
    expect(text).toHaveLength(30);
    const spec = await createEngine({ engine: engineFor(target), draft: engineFor(target), gamma: 3 });
    const r = await spec.completions.create({ prompt: 'Q:', strategy: 'greedy' });
    expect(r.choices[0]?.text).toBe(text);
    expect(r.ruminate.stats.accepted).toBe(r.ruminate.stats.proposed);
    expect(r.ruminate.usage.stepCalls).toBeLessThan(12);
    const stop = text.slice(10, 12);
    const cut = text.indexOf(stop);
    const stopped = await spec.completions.create({ prompt: 'Q:', strategy: 'greedy', stop });
    expect(stopped.choices[0]?.text).toBe(text.slice(0, cut));
    expect(stopped.choices[0]?.finish_reason).toBe('stop');
    let streamed = '';
    for await (const c of await spec.completions.create({
      prompt: 'Q:',
      strategy: 'greedy',
      stream: true,
      stop,
    })) {
      streamed += c.choices[0]?.text ?? '';
      expect(c.ruminate?.delta ?? '').not.toContain(stop);
    }
    expect(streamed).toBe(text.slice(0, cut));
  });
});
