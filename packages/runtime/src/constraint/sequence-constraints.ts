// The grammar state of every constrained sequence: an XGrammar matcher advanced with each
// token the sequence accepts, the allowed-token mask for its next step, and the copies a fork
// needs. A matcher cannot be cloned, so a fork (or a truncation) replays the tokens accepted
// since the constraint began into a fresh matcher — microseconds per token.
import type { GrammarMatcher } from '@mlc-ai/web-xgrammar';
import { RuminateError } from '@ruminate/errors';
import type { SeqId } from '../engine/types.ts';
import type { CompiledConstraint } from './constraint-compiler.ts';
import { Utf8Guard } from './utf8-guard.ts';
import type { XgrammarApi } from './xgrammar-module.ts';

/** One constrained sequence. */
interface SequenceGrammar {
  /** The compiled constraint (shared; owned by the compiler's cache). */
  compiled: CompiledConstraint;
  /** The matcher, at the sequence's last token. */
  matcher: GrammarMatcher;
  /** Sequence length when the constraint began: tokens from here on are matched. */
  start: number;
  /** Tokens accepted since `start`. */
  accepted: number[];
}

/** A mask for one step, and whether it is a dead end (nothing but the end token is left). */
export interface StepMask {
  /** Packed allowed tokens: bit t % 32 of word t / 32. */
  mask: Uint32Array;
  /** True when the grammar admits no token here (or already ended): only end-of-generation is allowed. */
  deadEnd: boolean;
}

/** The constrained sequences of one engine. */
export class SequenceConstraints {
  private readonly bySeq = new Map<SeqId, SequenceGrammar>();
  private guard: Utf8Guard | undefined;

  constructor(
    private readonly api: () => Promise<XgrammarApi>,
    private readonly vocabSize: number,
    private readonly endTokens: () => readonly number[],
    /** The bytes a token prints (for the UTF-8 guard). */
    private readonly tokenBytes: (id: number) => Uint8Array,
  ) {}

  /** True when `seq` is constrained. */
  has(seq: SeqId): boolean {
    return this.bySeq.has(seq);
  }

  /** Number of constrained sequences. */
  get size(): number {
    return this.bySeq.size;
  }

  /** Constrains `seq` from its current length on (replacing any earlier constraint). */
  async set(seq: SeqId, compiled: CompiledConstraint, length: number): Promise<void> {
    const matcher = await this.matcher(compiled);
    this.clear(seq);
    this.bySeq.set(seq, { compiled, matcher, start: length, accepted: [] });
  }

  /** Removes `seq`'s constraint (a freed sequence, or `constrain(seq, null)`). */
  clear(seq: SeqId): void {
    this.bySeq.get(seq)?.matcher.dispose();
    this.bySeq.delete(seq);
  }

  /** Gives each fork of `seq` a copy of its grammar state. */
  async fork(seq: SeqId, forks: readonly SeqId[]): Promise<void> {
    const g = this.bySeq.get(seq);
    if (!g) return;
    for (const f of forks) {
      this.bySeq.set(f, {
        ...g,
        matcher: await this.replay(g.compiled, g.accepted),
        accepted: [...g.accepted],
      });
    }
  }

  /** Follows `seq` back to `length` tokens (dropping the constraint when that is before it began). */
  async truncate(seq: SeqId, length: number): Promise<void> {
    const g = this.bySeq.get(seq);
    if (!g) return;
    if (length < g.start) {
      this.clear(seq);
      return;
    }
    const keep = length - g.start;
    if (keep >= g.accepted.length) return;
    g.matcher.dispose();
    g.accepted.length = keep;
    g.matcher = await this.replay(g.compiled, g.accepted);
  }

  /** Advances `seq` over tokens appended to it; refuses (changing nothing) tokens the grammar rejects. */
  async append(seq: SeqId, tokens: readonly number[]): Promise<void> {
    const g = this.bySeq.get(seq);
    if (!g) return;
    for (let i = 0; i < tokens.length; i++) {
      if (!g.matcher.acceptToken(tokens[i] as number)) {
        g.matcher.dispose();
        g.matcher = await this.replay(g.compiled, g.accepted);
        throw new RuminateError(
          'grammar-rejected',
          `Token ${tokens[i]} (appended at offset ${i}) is not allowed by sequence ${seq}'s constraint here; ` +
            'nothing was appended. Remove the constraint first (constrain(seq, null)) to append free text.',
          { field: 'tokens' },
        );
      }
    }
    g.accepted.push(...tokens);
  }

  /** The next step's mask for `seq` (undefined when unconstrained). */
  async mask(seq: SeqId): Promise<StepMask | undefined> {
    const g = this.bySeq.get(seq);
    if (!g) return undefined;
    const words = Math.ceil(this.vocabSize / 32);
    // Tokens past the tokenizer's vocabulary (padding rows of the output matrix) stay disallowed.
    const mask = new Uint32Array(words);
    if (!g.matcher.isTerminated()) {
      const bits = await g.matcher.getNextTokenBitmask();
      mask.set(new Uint32Array(bits.buffer, bits.byteOffset, Math.min(words, bits.length)));
      this.guard ??= new Utf8Guard(this.tokenBytes, this.vocabSize);
      this.guard.narrow(mask, this.lastByte(g.accepted));
      if (mask.some((w) => w !== 0)) return { mask, deadEnd: false };
    }
    // A dead end, or a grammar that already ended: only the end of generation remains.
    for (const t of this.endTokens()) mask[t >>> 5] = (mask[t >>> 5] as number) | (1 << (t & 31));
    return { mask, deadEnd: true };
  }

  /** True when `token` is allowed next for `seq` (teacher forcing checks its token with this). */
  wouldAccept(seq: SeqId, token: number): boolean {
    const g = this.bySeq.get(seq);
    if (!g) return true;
    if (g.matcher.isTerminated()) return false;
    if (!g.matcher.acceptToken(token)) return false;
    g.matcher.rollBack(1);
    return true;
  }

  /** Advances `seq` over the token its step produced (an end token after a dead end is kept as is). */
  accept(seq: SeqId, token: number): void {
    const g = this.bySeq.get(seq);
    if (!g) return;
    if (!g.matcher.isTerminated()) g.matcher.acceptToken(token);
    g.accepted.push(token);
  }

  /** Releases every matcher. */
  dispose(): void {
    for (const g of this.bySeq.values()) g.matcher.dispose();
    this.bySeq.clear();
  }

  /** The last byte the constrained text printed, if any. */
  private lastByte(accepted: readonly number[]): number | undefined {
    for (let i = accepted.length - 1; i >= 0; i--) {
      const b = this.tokenBytes(accepted[i] as number);
      if (b.length > 0) return b[b.length - 1];
    }
    return undefined;
  }

  private async matcher(compiled: CompiledConstraint): Promise<GrammarMatcher> {
    const { GrammarMatcher } = await this.api();
    // Rolling back one token is all `wouldAccept` needs; truncations replay instead.
    return GrammarMatcher.createGrammarMatcher(compiled.compiled, undefined, false, 1);
  }

  private async replay(compiled: CompiledConstraint, tokens: readonly number[]): Promise<GrammarMatcher> {
    const m = await this.matcher(compiled);
    for (const t of tokens) if (!m.isTerminated()) m.acceptToken(t);
    return m;
  }
}
