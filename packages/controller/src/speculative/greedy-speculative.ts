// Speculative decoding for greedy generation (Leviathan et al. 2023; Chen et al. 2023) over the
// Engine contract as it is: a small draft model proposes γ tokens one by one; the target checks
// all of them in ONE batched step by forking its sequence γ + 1 ways and appending the first k
// draft tokens to fork k (copy-on-write forks share the prefix; the step computes each fork's new
// rows in the same passes). Fork k's greedy token is the target's choice after d1..dk, so the
// longest agreeing prefix d1..dj plus the target's token after it is exactly what greedy
// decoding of the target alone would give — j + 1 tokens per target step instead of one.
// With sampling, exactness would need the full target and draft distributions (accept with
// min(1, p/q), resample from max(0, p − q)); the contract reads back only top log-probabilities,
// so only the greedy case is offered.

import { RuminateError } from '@ruminate/errors';
import type { Engine, SeqId } from '@ruminate/runtime';

/** Options of `speculativeGreedy`. */
export interface SpeculativeOptions {
  /** Draft tokens proposed per target step (default 4). */
  gamma?: number;
  /** Tokens to generate at most. */
  maxTokens: number;
  /** Cancels the run (all sequences are released). */
  signal?: AbortSignal;
  /** Called with each accepted run of tokens; returning true ends generation there (e.g. a stop string). */
  onTokens?: (tokens: number[]) => boolean | undefined | Promise<boolean | undefined>;
}

/** What speculative decoding produced and how much it saved. */
export interface SpeculativeResult {
  /** Generated tokens (EOS excluded), identical to the target's greedy decoding. */
  tokens: number[];
  /** True when it ended at EOS (else at max tokens). */
  eos: boolean;
  /** Batched target steps taken (greedy alone would take one per token). */
  targetSteps: number;
  /** Draft steps taken. */
  draftSteps: number;
  /** Draft tokens the target accepted. */
  accepted: number;
  /** Draft tokens proposed. */
  proposed: number;
}

/** Greedy decoding of `target` accelerated by `draft` (same vocabulary); see the file comment. */
export async function speculativeGreedy(
  target: Engine,
  draft: Engine,
  prompt: number[],
  opts: SpeculativeOptions,
): Promise<SpeculativeResult> {
  const gamma = opts.gamma ?? 4;
  if (!Number.isInteger(gamma) || gamma < 1) {
    throw new RuminateError('invalid-argument', `gamma must be a positive integer (got ${gamma}).`, {
      field: 'gamma',
    });
  }
  const [ti, di] = await Promise.all([target.info(), draft.info()]);
  if (!ti || !di) throw new RuminateError('not-loaded', 'Speculative decoding needs both models loaded.');
  if (ti.vocabSize !== di.vocabSize) {
    throw new RuminateError(
      'invalid-argument',
      `The draft's vocabulary (${di.vocabSize}) differs from the target's (${ti.vocabSize}); use a draft of the same family.`,
      {
        field: 'draft',
      },
    );
  }
  const greedy = { temperature: 0 };
  const eosIds = new Set(ti.eosTokenIds);
  const live: { engine: Engine; seq: SeqId }[] = [];
  const track = (engine: Engine, seq: SeqId) => {
    live.push({ engine, seq });
    return seq;
  };
  const release = async (engine: Engine, seq: SeqId) => {
    const i = live.findIndex((x) => x.engine === engine && x.seq === seq);
    if (i >= 0) live.splice(i, 1);
    await engine.free(seq);
  };
  const out: number[] = [];
  const result: SpeculativeResult = {
    tokens: out,
    eos: false,
    targetSteps: 0,
    draftSteps: 0,
    accepted: 0,
    proposed: 0,
  };
  try {
    let t = track(target, await target.createSequence(prompt));
    const d = track(draft, await draft.createSequence(prompt));
    // The first round proposes nothing: the target prefills the prompt alone (forks then share
    // computed pages) and gives its first token, which the draft appends.
    for (let round = 0; out.length < opts.maxTokens; round++) {
      if (opts.signal?.aborted)
        throw new RuminateError('aborted', 'Speculative decoding was aborted; sequences released.');
      const room = opts.maxTokens - out.length;
      const k = round === 0 ? 0 : Math.max(0, Math.min(gamma, room - 1));
      // 1. The draft proposes k tokens.
      const proposal: number[] = [];
      for (let i = 0; i < k; i++) {
        const [r] = await draft.step([{ seq: d, sampling: greedy }]);
        result.draftSteps++;
        if (!r) throw new RuminateError('internal', 'The draft returned no result.');
        proposal.push(r.token);
        if (eosIds.has(r.token)) break;
      }
      result.proposed += proposal.length;
      // 2. The target checks them in one step: fork i holds the first i proposal tokens.
      const forks = proposal.length > 0 ? await target.fork(t, proposal.length) : [];
      for (const f of forks) track(target, f);
      for (let i = 0; i < forks.length; i++) await target.append(forks[i] as SeqId, proposal.slice(0, i + 1));
      const seqs = [t, ...forks];
      const results = await target.step(seqs.map((seq) => ({ seq, sampling: greedy })));
      result.targetSteps++;
      const choice = new Map(results.map((r) => [r.seq, r.token]));
      // 3. Accept the longest prefix the target agrees with, then the target's own next token.
      let j = 0;
      while (j < proposal.length && choice.get(seqs[j] as SeqId) === proposal[j]) j++;
      const keep = seqs[j] as SeqId;
      const next = choice.get(keep) as number;
      for (const s of seqs) if (s !== keep) await release(target, s);
      t = keep;
      result.accepted += j;
      const run = [...proposal.slice(0, j), next];
      // 4. The draft rolls back to the accepted prefix and takes the target's token.
      const draftLen = prompt.length + out.length + proposal.length;
      await draft.truncate(d, draftLen - (proposal.length - j));
      await draft.append(d, [next]);
      const cut = run.findIndex((x) => eosIds.has(x));
      const emitted = cut >= 0 ? run.slice(0, cut) : run;
      out.push(...emitted.slice(0, opts.maxTokens - out.length));
      if ((await opts.onTokens?.(emitted)) === true) break;
      if (cut >= 0) {
        result.eos = true;
        break;
      }
    }
    return result;
  } finally {
    await Promise.all(live.map((x) => x.engine.free(x.seq).catch(() => {})));
  }
}
