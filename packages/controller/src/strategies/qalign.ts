// QAlign (Faria & Smith 2025, "Sample, Don't Search: Rethinking Test-Time Alignment for Language
// Models"), after QUEST (Faria et al. 2024): Metropolis–Hastings over whole responses, targeting
// π(y) ∝ p(y | x) · exp(r(y) / β). A proposal keeps a prefix of the current response y, cut at a
// position i drawn uniformly from its |y| positions (a KV fork: the prefix's pages are shared), and
// samples a new suffix from the model. The model's probabilities cancel in the ratio, leaving
//   α = min(1, exp((r(y') − r(y)) / β) · |y| / |y'|),
// the second factor being the proposal's length term (the chance of picking that cut in y versus
// in y'). The answer is a majority vote over the chain's states after burn-in. Several chains run
// side by side, their proposals decoded in one batch. It is anytime: under a token or latency
// budget the planner does not lower N, and the chains stop when the budget is spent.

import type { Branch } from '../generator/branch.ts';
import { createRng, mixSeed } from '../generator/seeds.ts';
import { extractAnswer } from '../verifiers/answer.ts';
import type { ScoreScale, Verdict } from '../verifiers/types.ts';
import { checkChoicesWithinSamples, numberParam } from './params.ts';
import { formatScore, scoreOutcomes } from './scoring.ts';
import type { StrategyContext, StrategyDefinition } from './types.ts';
import { tallyVotes } from './voting.ts';

/** Default β: a pass/fail verifier on a probability scale tilts the target by e^5 ≈ 148 toward a pass. */
export const QALIGN_DEFAULT_BETA = 0.2;
/** Default share of each chain's states left out of the vote. */
export const QALIGN_DEFAULT_BURN_IN = 0.25;

/** The reward r(y) of a verdict (−∞ for a failed verification). */
export function qalignReward(scale: ScoreScale, v: Verdict): number {
  if (!Number.isFinite(v.score)) return Number.NEGATIVE_INFINITY;
  return scale === 'log' ? Math.min(0, v.score) : v.score;
}

/** Positions a cut can be placed at: the generated tokens, plus the end-of-sequence token when it ended there. */
export function responseLength(b: Branch): number {
  return b.tokens.length + (b.finishReason === 'eos' ? 1 : 0);
}

/** log α of moving from (reward r, length n) to (r′, n′) at temperature β. */
export function qalignLogAcceptance(
  r: number,
  n: number,
  rNext: number,
  nNext: number,
  beta: number,
): number {
  const lengthTerm = Math.log(Math.max(1, n)) - Math.log(Math.max(1, nNext));
  if (rNext === Number.NEGATIVE_INFINITY) return r === Number.NEGATIVE_INFINITY ? lengthTerm : -Infinity;
  if (r === Number.NEGATIVE_INFINITY) return 0;
  return Math.min(0, (rNext - r) / beta + lengthTerm);
}

interface Chain {
  /** The current state (its KV kept for the next proposal's fork). */
  state: Branch;
  reward: number;
  /** The state after each step, the initial one first. */
  history: Branch[];
  /** States still to draw (proposals left). */
  left: number;
}

function params(p: Readonly<Record<string, unknown>>, samples: number) {
  return {
    beta: numberParam(p, 'beta', { default: QALIGN_DEFAULT_BETA, min: 0, exclusiveMin: true }),
    chains: Math.min(
      samples,
      numberParam(p, 'chains', { default: Math.min(4, samples), min: 1, integer: true }),
    ),
    burnIn: numberParam(p, 'burnIn', { default: QALIGN_DEFAULT_BURN_IN, min: 0, max: 0.95 }),
  };
}

async function rewards(ctx: StrategyContext, branches: readonly Branch[]): Promise<number[]> {
  const vs = await scoreOutcomes(ctx, branches);
  return vs.map((v) => qalignReward(ctx.verifier.scale, v));
}

/** True when the run's budget cut `b` short (it is then not a draw from the model, and is discarded). */
function cutByBudget(ctx: StrategyContext, b: Branch): boolean {
  return (
    b.finishReason === 'length' && b.tokens.length < ctx.gen.maxTokens && ctx.gen.budgetSpent() !== undefined
  );
}

/** `qalign`: MCMC over whole responses with a reward-tilted target; majority vote after burn-in. */
export const qalign: StrategyDefinition = {
  name: 'qalign',
  aliases: ['q-align', 'mcmc'],
  summary:
    'Metropolis–Hastings over responses (resample a suffix, accept by reward and length); vote after burn-in',
  defaultSamples: 16,
  anytime: true,
  params: {
    beta: `reward temperature β of the target p(y|x)·exp(r(y)/β) (default ${QALIGN_DEFAULT_BETA})`,
    chains:
      'chains run side by side, their proposals batched (default min(4, N)); N counts every state drawn',
    burnIn: `share of each chain's states left out of the vote (default ${QALIGN_DEFAULT_BURN_IN})`,
  },
  usesVerifier: true,
  usesStepScorer: false,
  resolveParams(p, samples) {
    return { ...p, ...params(p, samples) };
  },
  decodeWidth(p, samples) {
    return params(p, samples).chains;
  },
  validate(p, samples, n) {
    params(p, samples);
    checkChoicesWithinSamples(samples, n);
  },
  async run(ctx) {
    const { beta, chains: chainCount, burnIn } = params(ctx.params, ctx.samples);
    const rng = createRng(mixSeed(ctx.seed, 0x9a11));
    const first = await ctx.gen.fork(ctx.root, chainCount);
    await ctx.gen.extend(first, { keep: true });
    const firstRewards = await rewards(ctx, first);
    const chains: Chain[] = first.map((state, c) => ({
      state,
      reward: firstRewards[c] as number,
      history: [state],
      left: Math.floor(ctx.samples / chainCount) - 1 + (c < ctx.samples % chainCount ? 1 : 0),
    }));
    let accepted = 0;
    let rejected = 0;
    let proposals = 0;
    for (let step = 1; ; step++) {
      const active = chains.filter((c) => c.left > 0);
      if (active.length === 0 || ctx.gen.budgetSpent() !== undefined) break;
      ctx.gen.trace.step = step;
      const props: Branch[] = [];
      const cuts: number[] = [];
      for (const c of active) {
        const cut = Math.floor(rng() * responseLength(c.state));
        cuts.push(cut);
        props.push(await ctx.gen.forkAt(c.state, cut));
        c.left--;
      }
      await ctx.gen.extend(props, { keep: true });
      const drawn = props.filter((p) => !cutByBudget(ctx, p));
      for (const p of props)
        if (!drawn.includes(p)) await ctx.gen.prune(p, 'the budget ended it mid-proposal');
      const rs = await rewards(ctx, drawn);
      for (const [i, c] of active.entries()) {
        const p = props[i] as Branch;
        const k = drawn.indexOf(p);
        if (k < 0) continue;
        proposals++;
        const r = rs[k] as number;
        const logAlpha = qalignLogAcceptance(c.reward, responseLength(c.state), r, responseLength(p), beta);
        const detail = `cut at ${cuts[i]}, r ${formatScore(c.reward)} → ${formatScore(r)}, α ${formatScore(Math.exp(logAlpha))}`;
        if (Math.log(rng()) < logAlpha) {
          accepted++;
          ctx.gen.trace.event(p.id, 'accepted', detail);
          await ctx.gen.free(c.state);
          c.state = p;
          c.reward = r;
        } else {
          rejected++;
          ctx.gen.trace.event(p.id, 'rejected', detail);
          await ctx.gen.free(p);
        }
        c.history.push(c.state);
      }
    }
    await ctx.gen.free(chains.map((c) => c.state));
    // The vote: every chain's states after burn-in, a state counted once per step it was held.
    const voters = chains.flatMap((c) =>
      c.history.slice(Math.min(c.history.length - 1, Math.floor(c.history.length * burnIn))),
    );
    const answerOf = new Map<Branch, string | null>();
    for (const b of voters) if (!answerOf.has(b)) answerOf.set(b, extractAnswer(b.text, ctx.answer));
    const vote = tallyVotes(voters.map((b) => answerOf.get(b) ?? null));
    const lastHeld = new Map<Branch, number>();
    voters.forEach((b, i) => {
      lastHeld.set(b, i);
    });
    for (const [b, a] of answerOf) {
      const rec = ctx.gen.trace.get(b.id);
      rec.answer = a;
      rec.votes = a === null ? 0 : (vote.tally.get(a) ?? 0);
    }
    // The winning answer's states first (the latest held first), then the others by their answer's votes.
    const ranked = [...answerOf.keys()].sort((x, y) => {
      const wx = answerOf.get(x) === vote.answer ? 1 : 0;
      const wy = answerOf.get(y) === vote.answer ? 1 : 0;
      const vx = ctx.gen.trace.get(x.id).votes ?? 0;
      const vy = ctx.gen.trace.get(y.id).votes ?? 0;
      return wy - wx || vy - vx || (lastHeld.get(y) ?? 0) - (lastHeld.get(x) ?? 0);
    });
    const winner = ranked[0] ?? null;
    if (winner) ctx.gen.trace.event(winner.id, 'selected', `answer ${JSON.stringify(vote.answer)}`);
    return {
      ranked,
      winner,
      answer: vote.answer,
      stats: {
        chains: chainCount,
        proposals,
        accepted,
        rejected,
        acceptanceRate: proposals > 0 ? accepted / proposals : 0,
        voters: voters.length,
        distinctAnswers: vote.tally.size,
      },
    };
  },
};
