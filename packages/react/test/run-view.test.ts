import type { CandidateTrace, ChatCompletionChunk } from '@ruminate/controller';
import { describe, expect, it } from 'vitest';
import { applyChunk, emptyRun, fateOf } from '../src/run-view.ts';

const base = {
  id: 'c',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'm',
  system_fingerprint: 'f',
} as const;
const delta = (candidate: number, d: string, parent: number | null = null): ChatCompletionChunk => ({
  ...base,
  choices: [],
  usage: null,
  ruminate: { candidate, parent, delta: d },
});
const trace = (id: number, over: Partial<CandidateTrace>): CandidateTrace => ({
  id,
  parent: null,
  seed: 1,
  text: '',
  tokens: [1, 2],
  steps: [],
  finishReason: 'eos',
  score: null,
  stepScores: [],
  answer: null,
  votes: null,
  passed: null,
  events: [],
  ...over,
});

describe('applyChunk', () => {
  it('streams candidate text and counts provisional votes from the extracted answers', () => {
    let run = emptyRun();
    for (const c of [
      delta(1, 'The answer is 4'),
      delta(2, 'The answer is 4'),
      delta(3, 'The answer is 5'),
      delta(1, '2.'),
    ]) {
      run = applyChunk(run, c);
    }
    expect(run.candidates.map((c) => c.text)).toEqual([
      'The answer is 42.',
      'The answer is 4',
      'The answer is 5',
    ]);
    expect(run.candidates.map((c) => [c.answer, c.votes])).toEqual([
      ['42', 1],
      ['4', 1],
      ['5', 1],
    ]);
    run = applyChunk(run, delta(2, '2'));
    expect(run.candidates.map((c) => c.votes)).toEqual([2, 2, 1]);
    expect(run.done).toBe(false);
  });

  it('takes final votes, scores and fates from the last chunk and marks the winner', () => {
    let run = applyChunk(emptyRun(), delta(1, 'a'));
    run = applyChunk(run, delta(2, 'b', 1));
    const last: ChatCompletionChunk = {
      ...base,
      choices: [
        {
          index: 0,
          delta: { role: 'assistant', content: 'The answer is 42.' },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 3,
        completion_tokens: 9,
        total_tokens: 12,
        completion_tokens_details: { reasoning_tokens: 0 },
      },
      ruminate: {
        winner: 2,
        trace: [
          trace(1, {
            text: 'x',
            events: [{ type: 'pruned', step: 1, timeMs: 1, runTokens: 3, tokens: 1 }],
            score: 0.1,
          }),
          trace(2, { parent: 1, text: 'The answer is 42.', answer: '42', votes: 1, score: 0.9 }),
          trace(3, { text: 'never streamed', votes: 0 }),
        ],
      },
    };
    run = applyChunk(run, last);
    expect(run.done).toBe(true);
    expect(run.text).toBe('The answer is 42.');
    expect(run.candidates.map((c) => [c.id, c.fate, c.score])).toEqual([
      [1, 'pruned', 0.1],
      [2, 'winner', 0.9],
      [3, 'finished', null],
    ]);
    expect(run.candidates[1]?.parent).toBe(1);
  });

  it('streams the answer itself for greedy/sample (choices deltas) and leaves it empty on abstention', () => {
    let run = applyChunk(emptyRun(), {
      ...base,
      choices: [{ index: 0, delta: { content: 'Hel' }, logprobs: null, finish_reason: null }],
      usage: null,
      ruminate: { candidate: 1, parent: null, delta: 'Hel' },
    });
    expect(run.text).toBe('Hel');
    run = applyChunk(run, {
      ...base,
      choices: [],
      usage: {
        prompt_tokens: 1,
        completion_tokens: 1,
        total_tokens: 2,
        completion_tokens_details: { reasoning_tokens: 0 },
      },
      ruminate: { abstained: true, winner: null, trace: [] },
    });
    expect(run.text).toBe('');
  });

  it('names fates', () => {
    const ev = (type: 'stopped' | 'resampled' | 'rejected') => [
      { type, step: 0, timeMs: 0, runTokens: 0, tokens: 0 },
    ];
    expect(fateOf(trace(1, {}), 1)).toBe('winner');
    expect(fateOf(trace(1, { events: ev('stopped') }), 2)).toBe('stopped early');
    expect(fateOf(trace(1, { events: ev('resampled') }), 2)).toBe('resampled');
    expect(fateOf(trace(1, { finishReason: 'length' }), 2)).toBe('length');
    expect(fateOf(trace(1, { events: ev('rejected') }), 2)).toBe('rejected');
  });
});
