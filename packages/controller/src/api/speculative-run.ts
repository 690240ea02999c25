// Greedy requests on an engine with a draft model: speculative decoding (speculative/), with the
// request's stop strings, max tokens and streaming, reported as a one-candidate run.

import type { Engine } from '@ruminate/runtime';
import { decodeIncremental, emptyTextState } from '../generator/incremental-text.ts';
import { findStop, stableLength } from '../generator/stop-strings.ts';
import { Trace } from '../generator/trace.ts';
import type { Plan } from '../planner/types.ts';
import { speculativeGreedy } from '../speculative/greedy-speculative.ts';
import type { RunOptions, RunResult } from './run-strategy.ts';

/** Runs a greedy request with speculative decoding; the text equals plain greedy decoding's. */
export async function runSpeculative(
  engine: Engine,
  draft: Engine,
  prompt: number[],
  plan: Plan,
  stops: readonly string[],
  opts: RunOptions & { gamma?: number },
): Promise<RunResult> {
  const now = opts.now ?? (() => performance.now());
  const trace = new Trace(now);
  const rec = trace.add(1, null, plan.seed);
  trace.event(1, 'created');
  const tokens: number[] = [];
  const state = emptyTextState();
  let text = '';
  let emitted = 0;
  let stopped = false;
  const detokenize = (ids: number[]) => engine.detokenize(ids);
  const t0 = now();
  const r = await speculativeGreedy(engine, draft, prompt, {
    gamma: opts.gamma ?? 4,
    maxTokens: plan.maxTokens,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onTokens: async (run) => {
      tokens.push(...run);
      const decoded = await decodeIncremental(tokens, state, detokenize);
      const stop = findStop(decoded, stops, text.length);
      text = stop ? decoded.slice(0, stop.index) : decoded;
      stopped = stop !== null;
      const upTo = stopped ? text.length : stableLength(text, stops);
      if (upTo > emitted) opts.onDelta?.({ id: 1, parent: null }, text.slice(emitted, upTo));
      emitted = Math.max(emitted, upTo);
      return stopped;
    },
  });
  if (!stopped && emitted < text.length) opts.onDelta?.({ id: 1, parent: null }, text.slice(emitted));
  const finishReason = stopped ? 'stop' : r.eos ? 'eos' : 'length';
  Object.assign(rec, { text, tokens, steps: text ? [text] : [], finishReason });
  trace.runTokens = r.tokens.length;
  trace.event(1, 'finished', `${finishReason}; ${r.accepted}/${r.proposed} draft tokens accepted`);
  const generated = r.tokens.length + (r.eos ? 1 : 0);
  return {
    text,
    winner: 1,
    answer: null,
    abstained: false,
    choices: [
      {
        candidate: 1,
        text,
        tokens: [...tokens],
        finishReason: finishReason === 'length' ? 'length' : 'stop',
        logprobs: null,
      },
    ],
    trace: trace.candidates(),
    plan,
    usage: {
      generatedTokens: generated,
      returnedTokens: generated,
      promptTokens: prompt.length,
      candidates: 1,
      stepCalls: r.targetSteps,
      forks: r.proposed,
      maxBatch: (opts.gamma ?? 4) + 1,
      timeMs: Math.round((now() - t0) * 1000) / 1000,
    },
    stats: {
      targetSteps: r.targetSteps,
      draftSteps: r.draftSteps,
      accepted: r.accepted,
      proposed: r.proposed,
    },
  };
}
