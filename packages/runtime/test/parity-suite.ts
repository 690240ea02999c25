// The llama.cpp parity check shared by the backends' parity suites (parity-engine: WebGPU,
// parity-wasm: WebAssembly): a SequenceEngine is stepped beside llama.cpp's greedy run of the
// same fixture — a teacher-forced sequence (llama.cpp's tokens forced, our top-5 log-probabilities
// compared with llama.cpp's) and a free greedy sequence (our argmax compared with llama.cpp's
// while llama.cpp's own choice is decided by more than `margin`).
import { expect } from 'vitest';
import type { SequenceEngine } from '../src/engine/sequence-engine.ts';
import type { SeqId, StepRequest, StepResult } from '../src/engine/types.ts';
import type { LlamaCppStep } from './parity-llama-cpp.ts';

/** The prompt every parity case continues. */
export const PARITY_PROMPT = [1, 17, 200, 33, 5, 99, 140, 7, 64, 300, 2, 11];
/** Greedy steps compared per case. */
export const PARITY_STEPS = 32;

/** How closely a backend must follow llama.cpp. */
export interface ParityTolerance {
  /** llama.cpp's top-1 − top-2 log-probability gap below which its greedy choice counts as a tie. */
  margin: number;
  /** Largest |Δ log-probability| allowed on llama.cpp's top-5 tokens. */
  lpTol: number;
  /** Free greedy steps that must be decided and equal (default 8, or 3 for margins ≥ 0.1). */
  minDecided?: number;
  /**
   * Also compare the teacher-forced sequence's top-1 with llama.cpp's choice at every step whose
   * margin is ≥ `margin` (the free sequence stops at the first near-tie; this one never drifts).
   */
  forcedArgmax?: boolean;
}

/** What one comparison measured. */
export interface ParityMeasure {
  /** Greedy steps decided (llama.cpp's margin ≥ `margin`) and equal, before the first undecided one. */
  decided: number;
  /** Worst |Δ log-probability| over llama.cpp's top-5 tokens found in ours. */
  worst: number;
  /** Per teacher-forced step, the worst |Δ log-probability| of that step. */
  stepWorst: number[];
  /** Teacher-forced steps whose top-1 was compared with llama.cpp's (`forcedArgmax`). */
  argmaxCompared: number;
}

/**
 * Checks one teacher-forced step: every one of llama.cpp's top-5 tokens is in ours with a
 * log-probability within `lpTol`, or (missing from ours) ranked by llama.cpp within `lpTol` of
 * our fifth. Returns the worst |Δ log-probability| of the tokens found.
 */
export function expectTopLogprobs(label: string, mine: StepResult, ref: LlamaCppStep, lpTol: number): number {
  const top = mine.topLogprobs ?? [];
  expect(top.length, `${label}: top log-probabilities returned`).toBeGreaterThan(0);
  const byToken = new Map(top.map((t) => [t.token, t.logprob]));
  const fifth = top.at(-1)?.logprob ?? Number.NEGATIVE_INFINITY;
  let worst = 0;
  for (const t of ref.top) {
    const lp = byToken.get(t.token);
    if (lp === undefined) {
      // Not in our top-5: allowed only when llama.cpp ranks it within the tolerance of the cut.
      expect(t.logprob, `${label}: llama.cpp's token ${t.token} missing from our top-5`).toBeLessThan(
        fifth + lpTol,
      );
      continue;
    }
    const err = Math.abs(lp - t.logprob);
    worst = Math.max(worst, err);
    expect(err, `${label} token ${t.token}: ${lp} vs llama.cpp ${t.logprob}`).toBeLessThan(lpTol);
  }
  return worst;
}

/**
 * Follows llama.cpp's greedy run `ref` of `prompt` on `engine`: one teacher-forced and one free
 * greedy sequence, stepped together. Greedy tokens must be equal until llama.cpp's own choice is
 * within `margin` of a tie; at least 8 steps (3 for margins ≥ 0.1) must be so decided.
 */
export async function checkAgainstLlamaCpp(
  name: string,
  engine: SequenceEngine,
  prompt: readonly number[],
  ref: readonly LlamaCppStep[],
  tol: ParityTolerance,
): Promise<ParityMeasure> {
  const forced = engine.createSequence(prompt);
  const free = engine.createSequence(prompt);
  let greedyEqual = true;
  let decided = 0;
  let worst = 0;
  let argmaxCompared = 0;
  const stepWorst: number[] = [];
  for (let i = 0; i < ref.length; i++) {
    const step = ref[i]!;
    const [tf, g] = await engine.step([
      { seq: forced, sampling: { temperature: 0 }, forceToken: step.token, want: { topLogprobs: 5 } },
      { seq: free, sampling: { temperature: 0 } },
    ]);
    const w = expectTopLogprobs(`${name} step ${i}`, tf!, step, tol.lpTol);
    stepWorst.push(w);
    worst = Math.max(worst, w);
    if (tol.forcedArgmax && step.margin >= tol.margin) {
      expect(
        tf!.topLogprobs![0]!.token,
        `${name} forced step ${i} top-1 (margin ${step.margin.toFixed(3)})`,
      ).toBe(step.token);
      argmaxCompared++;
    }
    // Greedy: equal until llama.cpp's own choice is within the tolerance of a tie.
    if (greedyEqual) {
      if (step.margin < tol.margin) greedyEqual = false;
      else {
        expect(g!.token, `${name} greedy step ${i} (margin ${step.margin.toFixed(3)})`).toBe(step.token);
        decided++;
      }
    }
  }
  engine.free(forced);
  engine.free(free);
  console.log(
    `${name}: ${decided}/${ref.length} greedy steps decided and equal; worst top-5 |Δlogprob| ${worst.toExponential(2)}`,
  );
  // (q4_k's fixture has a 0.26 margin at step 3; teacher forcing still checks all 32 steps.)
  expect(decided, `${name}: greedy steps compared`).toBeGreaterThanOrEqual(
    tol.minDecided ?? (tol.margin < 0.1 ? 8 : 3),
  );
  return { decided, worst, stepWorst, argmaxCompared };
}

/** One stream of a batched parity run: a prompt with llama.cpp's greedy run of it. */
export interface BatchedStream {
  /** Tokens of the prompt. */
  prompt: readonly number[];
  /** llama.cpp's greedy run of the prompt. */
  ref: readonly LlamaCppStep[];
}

/** Fraction of `values` below `bound`. */
export function fractionBelow(values: readonly number[], bound: number): number {
  return values.filter((v) => v < bound).length / Math.max(1, values.length);
}

/**
 * Several sequences in every step, against llama.cpp's separate runs of each prompt: per stream a
 * teacher-forced sequence (top-5 log-probabilities checked) and a free greedy one (tokens checked
 * while decided), all in one step; after `forkAt` steps stream 0's two sequences are each forked
 * (copy-on-write of a shared, partly filled page) and the forks join the batch, checked against
 * the same llama.cpp run. Returns the worst |Δ log-probability| and the greedy steps compared.
 */
export async function checkBatchedAgainstLlamaCpp(
  name: string,
  engine: SequenceEngine,
  streams: readonly BatchedStream[],
  tol: ParityTolerance & { forkAt: number },
): Promise<ParityMeasure> {
  interface Lane {
    label: string;
    seq: SeqId;
    ref: readonly LlamaCppStep[];
    forced: boolean;
    greedyEqual: boolean;
  }
  const lanes: Lane[] = [];
  for (const [s, { prompt, ref }] of streams.entries()) {
    for (const forced of [true, false]) {
      const label = `${name} stream ${s} ${forced ? 'forced' : 'greedy'}`;
      lanes.push({ label, seq: engine.createSequence(prompt), ref, forced, greedyEqual: true });
    }
  }
  const steps = Math.min(...streams.map((s) => s.ref.length));
  let worst = 0;
  let decided = 0;
  let argmaxCompared = 0;
  const stepWorst: number[] = [];
  for (let i = 0; i < steps; i++) {
    if (i === tol.forkAt) {
      for (const lane of lanes.slice(0, 2)) {
        const [seq] = engine.fork(lane.seq, 1);
        lanes.push({ ...lane, label: `${lane.label} fork`, seq: seq! });
      }
    }
    const batch: StepRequest[] = lanes
      .filter((l) => l.forced || l.greedyEqual)
      .map((l) =>
        l.forced
          ? {
              seq: l.seq,
              sampling: { temperature: 0 },
              forceToken: l.ref[i]!.token,
              want: { topLogprobs: 5 },
            }
          : { seq: l.seq, sampling: { temperature: 0 } },
      );
    const out = new Map((await engine.step(batch)).map((r) => [r.seq, r]));
    for (const lane of lanes) {
      const r = out.get(lane.seq);
      if (!r) continue;
      const step = lane.ref[i]!;
      if (lane.forced) {
        const w = expectTopLogprobs(`${lane.label} step ${i}`, r, step, tol.lpTol);
        stepWorst.push(w);
        worst = Math.max(worst, w);
        if (tol.forcedArgmax && step.margin >= tol.margin) {
          expect(r.topLogprobs![0]!.token, `${lane.label} step ${i} top-1`).toBe(step.token);
          argmaxCompared++;
        }
      } else if (step.margin < tol.margin) {
        lane.greedyEqual = false; // llama.cpp's choice is a near-tie: stop comparing this lane
      } else {
        expect(r.token, `${lane.label} step ${i} (margin ${step.margin.toFixed(3)})`).toBe(step.token);
        decided++;
      }
    }
  }
  for (const lane of lanes) engine.free(lane.seq);
  console.log(
    `${name}: ${lanes.length} sequences, ${decided} greedy tokens decided and equal; worst top-5 |Δlogprob| ${worst.toExponential(2)}`,
  );
  return { decided, worst, stepWorst, argmaxCompared };
}
