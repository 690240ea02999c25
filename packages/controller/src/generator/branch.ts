// A branch: one candidate's live state on the controller side (its KV sequence in the engine,
// its tokens, per-token statistics and decoded text). Strategies read branches; only the
// generator changes them.

import type { SeqId } from '@ruminate/runtime';
import { emptyTextState, type TextState } from './incremental-text.ts';

/** Why a branch stopped generating (`grammar`: its constraint admitted no further token). */
export type FinishReason = 'eos' | 'stop' | 'length' | 'pruned' | 'grammar';

/** One top-logprob entry. */
export interface TokenLogprob {
  /** Token id. */
  token: number;
  /** Its log-probability. */
  logprob: number;
}

/** One candidate's state; see the file comment. */
export class Branch {
  /** Candidate id, unique within the run (the trace uses it). */
  readonly id: number;
  /** Parent candidate id, or null when forked from the prompt. */
  readonly parent: number | null;
  /** Seed of its sampling stream. */
  readonly seed: number;
  /** True for the prompt branch that candidates are forked from. */
  readonly isRoot: boolean;
  /** Engine sequence, or undefined once its KV pages were released. */
  seq: SeqId | undefined;
  /** Generated tokens (EOS excluded). */
  tokens: number[] = [];
  /** Log-probability of each generated token. */
  logprobs: number[] = [];
  /** Top log-probabilities of each generated token (empty arrays unless asked for). */
  topLogprobs: TokenLogprob[][] = [];
  /** DeepConf token confidence, −mean of the top log-probabilities (when they were asked for). */
  confidences: number[] = [];
  /** Self-certainty of each token's distribution, KL(uniform ‖ p) (when asked for). */
  selfCertainty: number[] = [];
  /** Entropy (nats) of each token's distribution (when asked for). */
  entropy: number[] = [];
  /** Generated text, stop string removed. */
  text = '';
  /** Completed reasoning steps (the text is their concatenation plus the open step). */
  steps: string[] = [];
  /** Where the open step begins in `text`. */
  stepStart = 0;
  /** Characters of `text` already streamed. */
  emitted = 0;
  /** Tokens this branch generated including EOS (usage counts these). */
  generated = 0;
  /** Step scores of this path, one per scored reasoning step (ancestors' included). */
  stepScores: number[] = [];
  /** Incremental decoding state of `tokens`. */
  textState: TextState = emptyTextState();
  /** Why it stopped, or null while it may still extend. */
  finishReason: FinishReason | null = null;
  /** Prompt tokens in front of the generated ones in its sequence (set by the generator). */
  promptTokens = 0;
  /** Tokens the next steps must append instead of sampling (a forced end of thinking). */
  forced: number[] = [];
  /** True once its thinking section is closed or its thinking budget was checked. */
  thinkingDone = false;

  constructor(id: number, parent: number | null, seed: number, seq: SeqId | undefined, isRoot = false) {
    this.id = id;
    this.parent = parent;
    this.seed = seed;
    this.seq = seq;
    this.isRoot = isRoot;
  }

  /** True once it can no longer extend. */
  get finished(): boolean {
    return this.finishReason !== null;
  }

  /** The text of the open (unfinished) step. */
  get openStep(): string {
    return this.text.slice(this.stepStart);
  }

  /** Copies everything generated so far into a new branch (the KV sequence is forked by the generator). */
  copyInto(child: Branch): Branch {
    child.tokens = [...this.tokens];
    child.logprobs = [...this.logprobs];
    child.topLogprobs = [...this.topLogprobs];
    child.confidences = [...this.confidences];
    child.selfCertainty = [...this.selfCertainty];
    child.entropy = [...this.entropy];
    child.text = this.text;
    child.steps = [...this.steps];
    child.stepScores = [...this.stepScores];
    child.stepStart = this.stepStart;
    child.emitted = this.emitted;
    child.textState = { ...this.textState };
    child.finishReason = this.finishReason;
    child.promptTokens = this.promptTokens;
    child.forced = [...this.forced];
    child.thinkingDone = this.thinkingDone;
    return child;
  }
}
