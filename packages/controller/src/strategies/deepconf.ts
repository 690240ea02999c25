// Confidence-filtered voting in the manner of DeepConf (Fu et al. 2025, "Deep Think with
// Confidence"), online variant. Token confidence = −mean of the top-k (k = 20) log-probabilities;
// group confidence = its mean over a sliding window; a trace's score = its lowest group
// confidence. A warm-up of traces sets the threshold at a percentile of their scores (keep the
// top 90% by default, or the top 10%); every later trace stops as soon as its current window's
// confidence falls below it; the answer is a confidence-weighted vote over the kept traces.

import { RuminateError } from '@ruminate/errors';
import type { Branch } from '../generator/branch.ts';
import { extractAnswer } from '../verifiers/answer.ts';
import { numberParam } from './params.ts';
import { sampleWaves } from './sampling-waves.ts';
import type { StrategyDefinition } from './types.ts';
import { tallyVotes, voteOutcome } from './voting.ts';

/** Mean confidence of the last `window` tokens (all tokens when fewer). */
export function tailGroupConfidence(conf: readonly number[], window: number): number {
  const from = Math.max(0, conf.length - window);
  let s = 0;
  for (let i = from; i < conf.length; i++) s += conf[i] as number;
  return conf.length === from ? Number.NaN : s / (conf.length - from);
}

/** The lowest sliding-window mean of `conf` (the mean of all when shorter than the window). */
export function lowestGroupConfidence(conf: readonly number[], window: number): number {
  if (conf.length === 0) return Number.NEGATIVE_INFINITY;
  if (conf.length <= window) return tailGroupConfidence(conf, window);
  let s = 0;
  for (let i = 0; i < window; i++) s += conf[i] as number;
  let low = s;
  for (let i = window; i < conf.length; i++) {
    s += (conf[i] as number) - (conf[i - window] as number);
    low = Math.min(low, s);
  }
  return low / window;
}

/** The value below which a fraction `q` of `xs` lies (linear interpolation between order statistics). */
export function percentile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NEGATIVE_INFINITY;
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return (s[lo] as number) + (pos - lo) * ((s[hi] as number) - (s[lo] as number));
}

function settings(params: Readonly<Record<string, unknown>>, samples: number, maxTokens: number) {
  return {
    warmup: numberParam(params, 'warmup', {
      default: Math.min(16, Math.max(2, Math.ceil(samples / 4))),
      min: 1,
      integer: true,
    }),
    keep: numberParam(params, 'keep', { default: 0.9, min: 0, max: 1, exclusiveMin: true }),
    window: numberParam(params, 'window', {
      default: Math.min(2048, Math.max(8, Math.floor(maxTokens / 8))),
      min: 1,
      integer: true,
    }),
    topK: numberParam(params, 'topK', { default: 20, min: 1, max: 20, integer: true }),
    consensus: numberParam(params, 'consensus', { default: 0, min: 0, max: 1 }),
  };
}

/** `deepconf`: warm-up threshold, early stop of low-confidence traces, confidence-weighted vote. */
export const deepConf: StrategyDefinition = {
  name: 'deepconf',
  aliases: ['deep-conf', 'confidence-vote'],
  summary: 'confidence-filtered voting: warm-up threshold, early stop of low-confidence traces',
  defaultSamples: 32,
  params: {
    warmup: 'warm-up traces that set the threshold (default min(16, ⌈N/4⌉))',
    keep: 'fraction of warm-up traces above the threshold: 0.9 (default, DeepConf-high) or 0.1 (DeepConf-low)',
    window: 'tokens per confidence group (default max_tokens/8, at most 2048)',
    topK: 'top log-probabilities per token confidence (default 20)',
    consensus:
      'stop drawing once the leading answer holds this share of the confidence-weighted vote (e.g. 0.95; default off)',
  },
  usesVerifier: false,
  usesStepScorer: false,
  wants(params) {
    return { topLogprobs: numberParam(params, 'topK', { default: 20 }) };
  },
  resolveParams(params, samples, maxTokens) {
    const s = settings(params, samples, maxTokens);
    return { ...params, ...s, warmup: Math.min(samples, s.warmup) };
  },
  validate(params, samples, n) {
    const s = settings(params, samples, 1024);
    if (s.warmup > samples) {
      throw new RuminateError(
        'invalid-argument',
        `strategy.warmup (${s.warmup}) exceeds the samples (${samples}).`,
        { field: 'strategy.warmup' },
      );
    }
    if (n > samples)
      throw new RuminateError('invalid-argument', `n (${n}) exceeds the samples drawn (${samples}).`, {
        field: 'n',
      });
  },
  async run(ctx) {
    const s = settings(ctx.params, ctx.samples, ctx.gen.maxTokens);
    ctx.gen.trace.step = 0;
    const warm = await sampleWaves(ctx, s.warmup);
    const score = (b: Branch) => lowestGroupConfidence(b.confidences, s.window);
    const threshold = percentile(warm.map(score), 1 - s.keep);
    const consensusShare = (traces: Branch[]) => {
      const kept = traces.filter((b) => b.finishReason !== 'pruned' && score(b) >= threshold);
      const tally = tallyVotes(
        kept.map((b) => extractAnswer(b.text, ctx.answer)),
        kept.map(score),
      ).tally;
      const total = [...tally.values()].reduce((a, b) => a + b, 0);
      return total > 0 ? Math.max(...tally.values()) / total : 0;
    };
    const shouldStop = (b: Branch) => {
      if (b.confidences.length < s.window) return undefined;
      const g = tailGroupConfidence(b.confidences, s.window);
      return g < threshold
        ? `group confidence ${g.toFixed(4)} < threshold ${threshold.toFixed(4)}`
        : undefined;
    };
    // Online phase in waves; with `consensus`, stop once the weighted vote is decided (DeepConf's adaptive sampling).
    const online: Branch[] = [];
    let consensusReached = 0;
    for (let wave = 1; online.length < ctx.samples - s.warmup; wave++) {
      if (s.consensus > 0 && consensusShare([...warm, ...online]) >= s.consensus) {
        consensusReached = 1;
        break;
      }
      ctx.gen.trace.step = wave;
      const want = Math.min(ctx.batchWidth, ctx.samples - s.warmup - online.length);
      const fresh = await sampleWaves(ctx, want, { shouldStop });
      online.push(...fresh);
      if (ctx.gen.budgetSpent() !== undefined) break;
    }
    const all = [...warm, ...online];
    const voters: Branch[] = [];
    for (const b of all) {
      const c = score(b);
      ctx.gen.trace.get(b.id).score = Number.isFinite(c) ? c : null;
      if (b.finishReason === 'pruned') continue;
      if (c < threshold) {
        ctx.gen.trace.event(
          b.id,
          'pruned',
          `confidence ${c.toFixed(4)} below threshold ${threshold.toFixed(4)}`,
        );
        continue;
      }
      voters.push(b);
    }
    const outcome = voteOutcome(ctx, voters, voters.map(score));
    const stopped = online.filter((b) => b.finishReason === 'pruned').length;
    outcome.stats = {
      ...outcome.stats,
      threshold,
      warmup: s.warmup,
      window: s.window,
      stoppedEarly: stopped,
      samplesDrawn: all.length,
      consensusReached,
      voters: voters.length,
      tokensInStoppedTraces: online
        .filter((b) => b.finishReason === 'pruned')
        .reduce((a, b) => a + b.generated, 0),
    };
    return outcome;
  },
};
