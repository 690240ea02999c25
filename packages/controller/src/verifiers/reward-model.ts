// A reward model as a scorer: a second Engine (a judge model, e.g. a second GGUF) reads the
// question and the candidate and is asked for a judgement; the score is the log-probability of
// the judgement token (" Yes") at that position, read with teacher forcing in one batched step
// for all candidates. With a negative token (" No") the score is the log of the normalised
// probability p(yes) / (p(yes) + p(no)), read by forking each prompt in two.

import { RuminateError } from '@ruminate/errors';
import type { Engine } from '@ruminate/runtime';
import type { Verdict, Verifier, VerifyInput } from './types.ts';

/** Options of `rewardModel`. */
export interface RewardModelOptions {
  /** The judge engine, with its model loaded. */
  engine: Engine;
  /** Builds the judge's prompt text (default: a question/answer/"Is the answer correct?" frame). */
  template?: (input: VerifyInput) => string;
  /** Judgement text that must tokenize to one token (default " Yes"). */
  judgement?: string;
  /** Opposite judgement for normalisation (optional, e.g. " No"). */
  negative?: string;
  /** A candidate passes when p(judgement) ≥ this (default 0.5). */
  threshold?: number;
  /** Use the judge's chat template around the prompt text (default false). */
  chat?: boolean;
}

/** The default judge prompt; works for outcome scoring and, with `steps`, for step scoring. */
export function defaultJudgePrompt(input: VerifyInput): string {
  const solution = input.steps.length > 0 ? input.steps.join('') : input.text;
  return `Question: ${input.prompt}\nProposed solution: ${solution}\nIs the solution correct so far? Answer Yes or No.\nAnswer:`;
}

async function singleToken(engine: Engine, text: string, field: string): Promise<number> {
  const ids = await engine.tokenize(text, { addBos: false });
  if (ids.length !== 1) {
    throw new RuminateError(
      'invalid-argument',
      `"${text}" is ${ids.length} tokens for the judge; pick a judgement that is one token.`,
      {
        field,
      },
    );
  }
  return ids[0] as number;
}

/** A verifier scoring candidates with a judge model's log-probability of the judgement token. */
export function rewardModel(opts: RewardModelOptions): Verifier {
  const template = opts.template ?? defaultJudgePrompt;
  const threshold = Math.log(opts.threshold ?? 0.5);
  let tokens: Promise<{ yes: number; no: number | undefined }> | undefined;
  const judgeTokens = () => {
    tokens ??= (async () => ({
      yes: await singleToken(opts.engine, opts.judgement ?? ' Yes', 'judgement'),
      no: opts.negative === undefined ? undefined : await singleToken(opts.engine, opts.negative, 'negative'),
    }))();
    return tokens;
  };
  const scoreMany = async (inputs: readonly VerifyInput[], signal: AbortSignal): Promise<Verdict[]> => {
    const { yes, no } = await judgeTokens();
    const engine = opts.engine;
    const seqs: number[] = [];
    try {
      const prompts = await Promise.all(
        inputs.map((input) =>
          opts.chat
            ? engine.applyChatTemplate([{ role: 'user', content: template(input) }], {
                addGenerationPrompt: true,
              })
            : engine.tokenize(template(input), { addBos: true }),
        ),
      );
      for (const p of prompts) seqs.push(await engine.createSequence(p));
      const pairs: { seq: number; token: number }[] = [];
      for (const seq of [...seqs]) {
        pairs.push({ seq, token: yes });
        if (no !== undefined) {
          const [twin] = await engine.fork(seq, 1);
          seqs.push(twin as number);
          pairs.push({ seq: twin as number, token: no });
        }
      }
      if (signal.aborted) throw new RuminateError('aborted', 'Reward scoring was aborted.');
      const results = await engine.step(
        pairs.map((p) => ({ seq: p.seq, sampling: { temperature: 0 }, forceToken: p.token })),
      );
      const lp = new Map(results.map((r) => [r.seq, r.logprob]));
      const stride = no === undefined ? 1 : 2;
      return inputs.map((_, i) => {
        const ly = lp.get((pairs[i * stride] as { seq: number }).seq) ?? Number.NEGATIVE_INFINITY;
        let score = ly;
        if (no !== undefined) {
          const ln = lp.get((pairs[i * stride + 1] as { seq: number }).seq) ?? Number.NEGATIVE_INFINITY;
          const m = Math.max(ly, ln);
          score = ly - (m + Math.log(Math.exp(ly - m) + Math.exp(ln - m)));
        }
        return { passed: score >= threshold, score };
      });
    } finally {
      await Promise.all(seqs.map((s) => engine.free(s).catch(() => {})));
    }
  };
  return {
    name: 'reward-model',
    scale: 'log',
    async verify(input, signal) {
      return (await scoreMany([input], signal))[0] as Verdict;
    },
    verifyMany: scoreMany,
  };
}
