// `client.batch(prompts, { budget })`: many prompts under one token budget. Every prompt is first
// probed with a few samples; then rounds give more samples to the prompts the allocation policy
// picks (allocation.ts) until the budget, or every prompt's need, is spent. Each prompt's answer
// is chosen over all its samples: the verifier's best (passing first) when there is a verifier,
// else the majority answer. Samples of one prompt and round decode as one batch over a shared
// prompt prefill (`runStrategy` with `sample@k`, temperature 0.8 unless given); prompts run one
// after another. A round is sized to the tokens left at the mean sample length so far, so the
// total can pass the budget by at most the difference of one round's lengths from that mean.

import { RuminateError } from '@ruminate/errors';
import type { ChatMessage, Engine } from '@ruminate/runtime';
import type { RunRequest } from '../api/request.ts';
import { type RunOptions, runStrategy } from '../api/run-strategy.ts';
import { mixSeed } from '../generator/seeds.ts';
import type { CandidateTrace } from '../generator/trace.ts';
import { tallyVotes } from '../strategies/voting.ts';
import { extractAnswer } from '../verifiers/answer.ts';
import { resolveVerifier } from '../verifiers/resolve.ts';
import {
  DEFAULT_VERIFIER_TIMEOUT_MS,
  runVerifier,
  type Verifier,
  verdictWeight,
} from '../verifiers/types.ts';
import { type AllocationPolicy, nextRound, type PromptState } from './allocation.ts';

/** One prompt of a batch: plain text, or chat messages. */
export type BatchPrompt = string | ChatMessage[];

/** Options of a batch run: the shared budget, the policy, and the request fields every prompt shares. */
export interface BatchOptions
  extends Omit<RunRequest, 'messages' | 'prompt' | 'promptTokens' | 'strategy' | 'samples' | 'n' | 'budget'> {
  /** Generated tokens for the whole batch. */
  budget: { tokens: number };
  /** `compute-optimal` (default: by estimated difficulty) or `uniform` (the same share each). */
  allocation?: AllocationPolicy;
  /** Samples every prompt draws first, to estimate its difficulty (default 2; the first always, the others while the budget holds them). */
  probe?: number;
  /** Most samples one prompt draws in one round (default 4). */
  roundSamples?: number;
  /** Most samples one prompt draws in all (default 64). */
  maxSamplesPerPrompt?: number;
}

/** One prompt's outcome. */
export interface BatchItem {
  /** The chosen answer's text, or null when no sample was drawn. */
  text: string | null;
  /** Its extracted answer. */
  answer: string | null;
  /** Whether the verifier passed it (null without a verifier). */
  passed: boolean | null;
  /** Samples drawn for this prompt. */
  samples: number;
  /** Tokens they generated. */
  tokens: number;
  /** Difficulty estimated after the probe (what the allocation started from). */
  probeDifficulty: number;
  /** Difficulty estimated at the end. */
  difficulty: number;
}

/** A batch run's outcome. */
export interface BatchResult {
  /** One item per prompt, in order. */
  items: BatchItem[];
  /** Tokens generated in all. */
  tokens: number;
  /** Rounds after the probe. */
  rounds: number;
  /** The policy used. */
  allocation: AllocationPolicy;
}

interface Sampled {
  text: string;
  tokens: number;
  weight: number;
  passed: boolean;
  answer: string | null;
}

function positiveInt(v: number | undefined, field: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 1)
    throw new RuminateError('invalid-argument', `${field} must be a positive integer (got ${v}).`, { field });
  return v;
}

/** Difficulty of a prompt from its samples: 1 − best verifier weight, or 1 − the leading answer's share. */
function difficultyOf(samples: readonly Sampled[], verified: boolean): number {
  if (samples.length === 0) return 1;
  if (verified) return 1 - Math.max(...samples.map((s) => s.weight));
  const vote = tallyVotes(samples.map((s) => s.answer));
  const lead = vote.answer === null ? 0 : (vote.tally.get(vote.answer) ?? 0);
  return 1 - lead / samples.length;
}

function choose(samples: readonly Sampled[], verified: boolean): Sampled | undefined {
  if (verified)
    return [...samples].sort((a, b) => Number(b.passed) - Number(a.passed) || b.weight - a.weight)[0];
  const vote = tallyVotes(samples.map((s) => s.answer));
  return samples.find((s) => s.answer === vote.answer) ?? samples[0];
}

/** Runs a batch of prompts under one token budget; see the file comment. */
export async function runBatch(
  engine: Engine,
  prompts: readonly BatchPrompt[],
  options: BatchOptions,
  run: RunOptions = {},
): Promise<BatchResult> {
  const budget = options.budget?.tokens;
  if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1)
    throw new RuminateError('invalid-argument', 'budget.tokens must be a positive integer.', {
      field: 'budget.tokens',
    });
  if (!Array.isArray(prompts) || prompts.length === 0)
    throw new RuminateError('invalid-argument', 'prompts must be a non-empty array.', { field: 'prompts' });
  const policy = options.allocation ?? 'compute-optimal';
  if (policy !== 'compute-optimal' && policy !== 'uniform')
    throw new RuminateError(
      'invalid-argument',
      `allocation must be compute-optimal or uniform (got ${String(policy)}).`,
      {
        field: 'allocation',
      },
    );
  const probe = positiveInt(options.probe, 'probe', 2);
  const roundSamples = positiveInt(options.roundSamples, 'roundSamples', 4);
  const maxSamples = positiveInt(options.maxSamplesPerPrompt, 'maxSamplesPerPrompt', 64);
  const {
    budget: _budget,
    allocation: _allocation,
    probe: _probe,
    roundSamples: _round,
    maxSamplesPerPrompt: _max,
    verifier: _verifier,
    ...shared
  } = options;
  const verifier: Verifier | undefined = options.verifier
    ? resolveVerifier(options.verifier, 'verifier')
    : undefined;
  const seed = (options.seed ?? 1) >>> 0;
  const pools: Sampled[][] = prompts.map(() => []);
  let spent = 0;
  let draws = 0;

  const draw = async (i: number, k: number) => {
    const p = prompts[i] as BatchPrompt;
    const req: RunRequest = {
      ...shared,
      ...(typeof p === 'string' ? { prompt: p } : { messages: p }),
      strategy: `sample@${k}`,
      n: k,
      seed: mixSeed(seed, mixSeed(i, draws++)),
      temperature: options.temperature ?? 0.8,
    };
    const r = await runStrategy(engine, req, run);
    spent += r.usage.generatedTokens;
    const traces: CandidateTrace[] = r.trace;
    const text = typeof p === 'string' ? p : (p.filter((m) => m.role === 'user').at(-1)?.content ?? '');
    const verdicts = verifier
      ? await runVerifier(
          verifier,
          traces.map((c) => ({
            prompt: text,
            text: c.text,
            steps: c.steps,
            tokens: c.tokens,
            logprobs: [],
            selfCertainty: [],
            finished: true,
          })),
          { timeoutMs: options.verifierTimeoutMs ?? DEFAULT_VERIFIER_TIMEOUT_MS, signal: run.signal },
        )
      : [];
    traces.forEach((c, j) => {
      const v = verdicts[j];
      (pools[i] as Sampled[]).push({
        text: c.text,
        tokens: c.tokens.length + (c.finishReason === 'eos' ? 1 : 0),
        weight: v && verifier ? verdictWeight(verifier.scale, v) : 0,
        passed: v?.passed ?? false,
        answer: extractAnswer(c.text, options.answer ?? {}),
      });
    });
  };

  const states = (): PromptState[] =>
    pools.map((s) => ({
      samples: s.length,
      tokens: s.reduce((a, x) => a + x.tokens, 0),
      difficulty: difficultyOf(s, verifier !== undefined),
    }));
  const shareTokens = budget / prompts.length;
  // The probe: one sample for every prompt (each needs an answer), then more passes over all of
  // them while the budget holds a whole pass at the mean sample length.
  for (let pass = 0; pass < Math.min(probe, maxSamples); pass++) {
    const perSample =
      spent /
      Math.max(
        1,
        pools.reduce((a, s) => a + s.length, 0),
      );
    if (pass > 0 && budget - spent < perSample * prompts.length) break;
    for (let i = 0; i < prompts.length; i++) await draw(i, 1);
  }
  const probed = states().map((s) => s.difficulty);
  let rounds = 0;
  for (;;) {
    const now = states();
    const drawn = now.reduce((a, s) => a + s.samples, 0);
    const plan = nextRound(policy, now, {
      remainingTokens: budget - spent,
      tokensPerSample: spent / Math.max(1, drawn),
      maxSamplesPerPrompt: maxSamples,
      roundSamples,
      shareTokens,
    });
    if (plan.every((k) => k <= 0) || spent >= budget) break;
    rounds++;
    for (const [i, k] of plan.entries()) if (k > 0 && spent < budget) await draw(i, k);
  }
  const final = states();
  const items = pools.map((s, i): BatchItem => {
    const best = choose(s, verifier !== undefined);
    return {
      text: best?.text ?? null,
      answer: best?.answer ?? null,
      passed: verifier ? (best?.passed ?? false) : null,
      samples: s.length,
      tokens: (final[i] as PromptState).tokens,
      probeDifficulty: probed[i] as number,
      difficulty: (final[i] as PromptState).difficulty,
    };
  });
  return { items, tokens: spent, rounds, allocation: policy };
}
