// Verifiers and scorers share one interface: given a candidate (finished, or a partial prefix for
// step scorers), say whether it passes and how good it is. Running them goes through
// `runVerifier`, which turns a throw, a rejection or a timeout into a failed verdict so a bad
// verifier never stalls a search.

import { RuminateError } from '@ruminate/errors';

/** What a verifier sees of a candidate. */
export interface VerifyInput {
  /** The prompt as text (the last user message for chats). */
  prompt: string;
  /** The candidate's text so far. */
  text: string;
  /** Its reasoning steps (for step scorers); the last may be open. */
  steps: readonly string[];
  /** Its generated tokens. */
  tokens: readonly number[];
  /** Log-probability of each token. */
  logprobs: readonly number[];
  /** Self-certainty of each token's distribution (empty unless read back). */
  selfCertainty: readonly number[];
  /** True when the candidate is complete (false for a partial prefix). */
  finished: boolean;
}

/** A verifier's judgement. */
export interface Verdict {
  /** Whether the candidate passes (for best-of-N abstention and weighted voting). */
  passed: boolean;
  /** How good it is, on the verifier's `scale`; −Infinity for a failed verification. */
  score: number;
  /** Why, for the trace (error message, schema path, tests failed). */
  reason?: string;
}

/** How to read a verifier's score. */
export type ScoreScale = 'probability' | 'log' | 'unbounded';

/** A verifier or scorer. */
export interface Verifier {
  /** Name shown in the trace. */
  readonly name: string;
  /** `probability`: in [0, 1]; `log`: a log-probability (≤ 0); `unbounded`: larger is better. */
  readonly scale: ScoreScale;
  /** Per-token numbers the engine must read back for this verifier. */
  readonly wants?: { selfCertainty?: boolean; topLogprobs?: number };
  /** Judges one candidate. */
  verify(input: VerifyInput, signal: AbortSignal): Promise<Verdict> | Verdict;
  /** Judges many at once (e.g. a reward model batching its forward passes); optional. */
  verifyMany?(inputs: readonly VerifyInput[], signal: AbortSignal): Promise<Verdict[]>;
}

/** Default time a verifier may take per call. */
export const DEFAULT_VERIFIER_TIMEOUT_MS = 10_000;

/** A failed verdict. */
export function failed(reason: string): Verdict {
  return { passed: false, score: Number.NEGATIVE_INFINITY, reason };
}

/**
 * Runs `verifier` over `inputs` with a time limit; a throw, a rejection, a timeout or a malformed
 * verdict becomes a failed verdict. The verifier gets a signal that fires on timeout or when the
 * run is aborted (a run abort still throws `aborted`). A verifier that blocks the main thread in a
 * synchronous loop cannot be preempted: run such code through `javascriptTests` (a Worker).
 */
export async function runVerifier(
  verifier: Verifier,
  inputs: readonly VerifyInput[],
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Verdict[]> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_VERIFIER_TIMEOUT_MS;
  const call = async (
    work: (signal: AbortSignal) => Promise<Verdict[]>,
    count: number,
  ): Promise<Verdict[]> => {
    const ctrl = new AbortController();
    let rejectAbort: (e: unknown) => void = () => {};
    const aborted = new Promise<never>((_, reject) => {
      rejectAbort = reject;
    });
    aborted.catch(() => {});
    const onAbort = () => {
      ctrl.abort(opts.signal?.reason);
      rejectAbort(abortError(opts.signal));
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<Verdict[]>((resolve) => {
      timer = setTimeout(() => {
        ctrl.abort(new Error('verifier timeout'));
        resolve(new Array(count).fill(failed(`${verifier.name}: timed out after ${timeoutMs} ms`)));
      }, timeoutMs);
    });
    try {
      const run = work(ctrl.signal).then(
        (v) => v.map((x) => sanitize(verifier.name, x)),
        (e: unknown) =>
          new Array(count).fill(
            failed(`${verifier.name} threw: ${e instanceof Error ? e.message : String(e)}`),
          ),
      );
      return await Promise.race([run, timeout, aborted]);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  };
  if (inputs.length === 0) return [];
  if (verifier.verifyMany) {
    const many = verifier.verifyMany.bind(verifier);
    const out = await call((s) => many(inputs, s), inputs.length);
    if (out.length === inputs.length) return out;
    return inputs.map(() =>
      failed(`${verifier.name}: returned ${out.length} verdicts for ${inputs.length} inputs`),
    );
  }
  return Promise.all(
    inputs.map((input) =>
      call(async (s) => [await verifier.verify(input, s)], 1).then((v) => v[0] as Verdict),
    ),
  );
}

/** Maps a verdict's score to a non-negative weight for weighted voting (probability-like). */
export function verdictWeight(scale: ScoreScale, v: Verdict): number {
  if (!Number.isFinite(v.score)) return 0;
  if (scale === 'probability') return Math.min(1, Math.max(0, v.score));
  if (scale === 'log') return Math.exp(Math.min(0, v.score));
  return Math.max(0, v.score);
}

/** Maps a verdict's score to a log-weight for particle filtering: log(r / (1 − r)) for a reward r, the score itself when unbounded. */
export function verdictLogWeight(scale: ScoreScale, v: Verdict): number {
  if (!Number.isFinite(v.score)) return Number.NEGATIVE_INFINITY;
  if (scale === 'unbounded') return v.score;
  const r = scale === 'log' ? Math.exp(Math.min(0, v.score)) : v.score;
  const c = Math.min(1 - 1e-6, Math.max(1e-6, r));
  return Math.log(c / (1 - c));
}

function sanitize(name: string, v: Verdict): Verdict {
  if (
    typeof v !== 'object' ||
    v === null ||
    typeof v.passed !== 'boolean' ||
    typeof v.score !== 'number' ||
    Number.isNaN(v.score)
  ) {
    return failed(`${name}: returned a malformed verdict`);
  }
  return v;
}

function abortError(signal: AbortSignal | undefined): RuminateError {
  return new RuminateError('aborted', 'The request was aborted while a verifier ran.', {
    cause: signal?.reason,
  });
}
