// `generate --strategy` argument mapping (no GPU): --n is the strategy's sample count, --task
// brings the task's verifier, step scorer, answer extraction, step delimiter and token limit.
import { mulTask, type Verifier } from '@ruminate/controller';
import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import { generateCommand, strategyRequest } from '../src/commands/generate.ts';

describe('generate --strategy request', () => {
  it('maps --n to samples and --task mul to its verifier, step scorer, answer and delimiter', async () => {
    const r = strategyRequest({ prompt: '68*24=', strategy: 'beam', n: '3', task: 'mul', seed: '5' });
    expect(r).toMatchObject({
      prompt: '68*24=',
      strategy: 'beam',
      samples: 3,
      seed: 5,
      maxTokens: mulTask.maxTokens,
      answer: mulTask.answer,
      delimiter: mulTask.stepDelimiter,
    });
    expect(r.temperature).toBeUndefined();
    const v = r.verifier as Verifier;
    expect(v.name).toBe('mul-check-work');
    const input = (text: string) => ({
      prompt: '68*24=',
      text,
      steps: [],
      tokens: [],
      logprobs: [],
      selfCertainty: [],
      finished: true,
    });
    const signal = new AbortController().signal;
    expect((await v.verify(input('A:68*20=1360,68*4=272,1360+272=1632#1632'), signal)).passed).toBe(true);
    expect((await v.verify(input('A:68*20=1360,68*4=272,1360+272=1642#1642'), signal)).passed).toBe(false);
    expect((r.stepScorer as { name: string }).name).toBe('mul-check-steps');
  });

  it('without --task: no verifier (the strategy’s default), --max-tokens and token prompts as given', () => {
    const r = strategyRequest({ tokens: '0, 5,6', strategy: 'sc', 'max-tokens': '12', temperature: '0.5' });
    expect(r.promptTokens).toEqual([0, 5, 6]);
    expect(r.prompt).toBeUndefined();
    expect(r.maxTokens).toBe(12);
    expect(r.temperature).toBe(0.5);
    expect(r.verifier).toBeUndefined();
    expect(r.samples).toBeUndefined();
  });

  it('rejects a non-numeric --n and an unknown --task with typed errors', () => {
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isRuminateError(e) ? e.code : 'untyped';
      }
      return 'no error';
    };
    expect(bad(() => strategyRequest({ prompt: 'x', strategy: 'sc', n: 'many' }))).toBe('invalid-argument');
    expect(bad(() => strategyRequest({ prompt: 'x', strategy: 'sc', task: 'nope' }))).toBe(
      'invalid-argument',
    );
  });

  it('refuses --n or --task without --strategy (exit code 2), keeping the plain path unchanged', async () => {
    const write = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(await generateCommand.run(['--model', 'm.gguf', '--prompt', 'x', '--n', '3'])).toBe(2);
      expect(await generateCommand.run(['--model', 'm.gguf', '--prompt', 'x', '--task', 'mul'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
  });
});
