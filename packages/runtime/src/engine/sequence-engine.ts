// The model-independent half of the engine: sequences in a paged KV cache and the batched
// one-token step. A step computes every sequence's uncomputed tokens (prompt chunks and the
// token sampled last time) in passes of at most `maxPassTokens` rows, samples each sequence in
// the pass where its last token is computed, and appends the sampled tokens.
import { RuminateError } from '@ruminate/errors';
import type { SequenceConstraints } from '../constraint/sequence-constraints.ts';
import type { PageCopy, PagedKvCache } from '../kv/paged-kv-cache.ts';
import type { ModelBackend, PassRow, RowSampling } from '../model/backend.ts';
import type { MemoryReport, SeqId, StepRequest, StepResult } from './types.ts';

/** How a SequenceEngine is sized. */
export interface SequenceEngineOptions {
  /** The KV cache geometry. */
  kv: PagedKvCache;
  /** The model. */
  backend: ModelBackend;
  /** Vocabulary size (for checking forced and banned tokens). */
  vocabSize: number;
  /** End-of-generation tokens. */
  eosTokenIds: readonly number[];
  /** Rows per forward pass: the prefill chunk shared by the batch (default 256). */
  maxPassTokens?: number;
  /** Grammar state of constrained sequences (their masks apply at every step). */
  constraints?: SequenceConstraints;
}

/** Sequences, forks and batched steps over one loaded model. */
export class SequenceEngine {
  /** The KV allocator. */
  readonly kv: PagedKvCache;
  private readonly backend: ModelBackend;
  private readonly vocabSize: number;
  private eos: ReadonlySet<number>;
  private readonly maxPassTokens: number;
  private aborted = false;
  /** Aborts the pass in flight, on backends that can stop one between ops (the wasm backend). */
  private passAbort: AbortController | undefined;
  private running = false;
  /** Passes run since creation (diagnostics: how a step was chunked). */
  passes = 0;
  /** Grammar state of constrained sequences, when the engine supports constraints. */
  constraints: SequenceConstraints | undefined;

  constructor(opts: SequenceEngineOptions) {
    this.kv = opts.kv;
    this.backend = opts.backend;
    this.vocabSize = opts.vocabSize;
    this.eos = new Set(opts.eosTokenIds);
    this.maxPassTokens = opts.maxPassTokens ?? 256;
    this.constraints = opts.constraints;
  }

  /** Replaces the end-of-generation token set (e.g. with the tokenizer's EOG ids). */
  setEosTokens(ids: Iterable<number>): void {
    this.eos = new Set(ids);
  }

  /** New sequence; a cached prefix is shared. Returns its id. */
  createSequence(prompt: readonly number[]): SeqId {
    this.checkTokens(prompt, 'prompt');
    return this.kv.create(prompt).seq;
  }

  /** Copies of `seq` sharing its pages. */
  fork(seq: SeqId, count: number): SeqId[] {
    return this.kv.fork(seq, count);
  }

  /** Rolls `seq` back to `length` tokens. */
  truncate(seq: SeqId, length: number): void {
    this.kv.truncate(seq, length);
  }

  /** Appends tokens, computed by the next step. */
  append(seq: SeqId, tokens: readonly number[]): void {
    this.checkTokens(tokens, 'tokens');
    this.kv.append(seq, tokens);
  }

  /** Frees `seq`. */
  free(seq: SeqId): void {
    this.kv.free(seq);
  }

  /** Tokens of `seq`. */
  tokens(seq: SeqId): number[] {
    return [...this.kv.tokens(seq)];
  }

  /** Makes the running step (if any) stop before its next pass with an `aborted` error. */
  abort(): void {
    if (this.running) {
      this.aborted = true;
      this.passAbort?.abort();
    }
  }

  /** One token for each listed sequence. */
  async step(batch: readonly StepRequest[]): Promise<StepResult[]> {
    if (this.running) {
      throw new RuminateError(
        'invalid-argument',
        'A step is already running; await it before starting another.',
      );
    }
    this.validate(batch);
    this.running = true;
    this.aborted = false;
    try {
      return await this.runStep(batch);
    } finally {
      this.running = false;
      this.aborted = false;
    }
  }

  /** Memory accounting of KV pages and backend allocations. */
  memory(): MemoryReport {
    const m = this.backend.memory();
    return {
      weightBytes: m.weightBytes,
      kvBytes: m.kvBytes,
      pageTokens: this.kv.pageTokens,
      bytesPerPage: m.bytesPerPage,
      pagesUsed: this.kv.pagesUsed,
      pagesFree: this.kv.pagesFree,
      pagesCached: this.kv.pagesCached,
      sequences: this.kv.sequences,
      scratchBytes: m.scratchBytes,
    };
  }

  private async runStep(batch: readonly StepRequest[]): Promise<StepResult[]> {
    const results = new Map<SeqId, StepResult>();
    const done = new Set<SeqId>();
    const deadEnds = new Set<SeqId>();
    const constraints = this.constraints;
    // A constrained row's mask, computed when the backend asks for it (after it has submitted the pass).
    const allowedFor = (seq: SeqId) => async () => {
      const m = await (constraints as SequenceConstraints).mask(seq);
      if (!m) throw new RuminateError('internal', `Sequence ${seq} lost its constraint during a step.`);
      if (m.deadEnd) deadEnds.add(seq);
      return m.mask;
    };
    while (done.size < batch.length) {
      if (this.aborted) {
        throw new RuminateError(
          'aborted',
          'The step was aborted; sequences keep the tokens computed so far and the step can be retried.',
        );
      }
      const rows: PassRow[] = [];
      const sample: RowSampling[] = [];
      const copies: PageCopy[] = [];
      const commits: [SeqId, number][] = [];
      const sampledSeqs: StepRequest[] = [];
      let budget = this.maxPassTokens;
      // Sequences with the fewest tokens left go first, so decode rows are never starved by a long prompt.
      const order = batch
        .filter((r) => !done.has(r.seq))
        // At least the last token is computed again: a sequence whose every token was computed by
        // a pass whose sample was then dropped (an aborted step) still needs its logits.
        .map((r) => ({ r, left: Math.max(1, this.kv.tokens(r.seq).length - this.kv.cachedLength(r.seq)) }))
        .sort((a, b) => a.left - b.left);
      for (const { r, left } of order) {
        if (budget === 0) break;
        const n = Math.min(left, budget);
        budget -= n;
        const from = this.kv.tokens(r.seq).length - left;
        copies.push(...this.kv.reserve(r.seq, from + n));
        const tokens = this.kv.tokens(r.seq);
        const slot = this.kv.slot(r.seq);
        for (let p = from; p < from + n; p++) rows.push({ slot, position: p, token: tokens[p] as number });
        commits.push([r.seq, from + n]);
        if (n === left) {
          const penalties =
            r.sampling.repetitionPenalty || r.sampling.frequencyPenalty || r.sampling.presencePenalty;
          sample.push({
            row: rows.length - 1,
            params: r.sampling,
            stream: r.sampling.stream ?? r.seq,
            position: tokens.length,
            want: r.want,
            forceToken: r.forceToken,
            history: penalties ? [...tokens] : undefined,
            ...(r.forceToken === undefined && constraints?.has(r.seq) ? { allowed: allowedFor(r.seq) } : {}),
          });
          sampledSeqs.push(r);
        }
      }
      const dirtySlots = this.kv.takeDirtySlots();
      this.passAbort = new AbortController();
      const sampled = await this.backend.forward({
        rows,
        copies,
        blockTable: this.kv.blockTable,
        dirtySlots,
        sample,
        signal: this.passAbort.signal,
      });
      this.passes++;
      for (const [seq, upto] of commits) this.kv.commit(seq, upto);
      sampledSeqs.forEach((r, i) => {
        const s = sampled[i];
        if (!s) throw new RuminateError('internal', 'The model returned fewer sampled rows than requested.');
        const deadEnd = deadEnds.has(r.seq);
        results.set(r.seq, {
          seq: r.seq,
          ...s,
          eos: this.eos.has(s.token) || deadEnd,
          ...(deadEnd ? { grammarDeadEnd: true } : {}),
        });
        done.add(r.seq);
      });
      // A pass that samples nothing returns as soon as it is submitted, so without this the
      // whole prefill would run in one task and an abort message could not arrive between passes.
      if (done.size < batch.length) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const out = batch.map((r) => results.get(r.seq) as StepResult);
    for (const r of out) {
      this.kv.append(r.seq, [r.token]);
      constraints?.accept(r.seq, r.token);
    }
    return out;
  }

  private validate(batch: readonly StepRequest[]): void {
    const seen = new Set<SeqId>();
    for (const r of batch) {
      if (seen.has(r.seq)) {
        throw new RuminateError('invalid-argument', `Sequence ${r.seq} is listed twice in one step.`, {
          field: 'seq',
        });
      }
      seen.add(r.seq);
      const length = this.kv.tokens(r.seq).length; // throws unknown-sequence
      if (length + 1 > this.kv.contextLength) {
        throw new RuminateError(
          'context-overflow',
          `Sequence ${r.seq} holds ${length} tokens; another would pass the ${this.kv.contextLength}-token context. ` +
            'Truncate it, or load with a longer contextLength.',
        );
      }
      const t = r.sampling.temperature;
      if (!(t >= 0) || !Number.isFinite(t)) {
        throw new RuminateError('invalid-argument', `temperature must be a finite number ≥ 0, got ${t}.`, {
          field: 'temperature',
        });
      }
      if (r.forceToken !== undefined) {
        this.checkTokens([r.forceToken], 'forceToken');
        if (this.constraints && !this.constraints.wouldAccept(r.seq, r.forceToken)) {
          throw new RuminateError(
            'grammar-rejected',
            `forceToken ${r.forceToken} is not allowed by sequence ${r.seq}'s constraint at this point.`,
            { field: 'forceToken' },
          );
        }
      }
      const k = r.want?.topLogprobs;
      if (k !== undefined && !(Number.isInteger(k) && k >= 0 && k <= 20)) {
        throw new RuminateError('invalid-argument', `topLogprobs must be an integer in 0..20, got ${k}.`, {
          field: 'topLogprobs',
        });
      }
    }
  }

  private checkTokens(tokens: readonly number[], field: string): void {
    for (const t of tokens) {
      if (!Number.isInteger(t) || t < 0 || t >= this.vocabSize) {
        throw new RuminateError(
          'invalid-argument',
          `Token id ${t} is outside the vocabulary (0..${this.vocabSize - 1}).`,
          {
            field,
          },
        );
      }
    }
  }
}
