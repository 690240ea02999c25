// A deterministic, CPU-only Engine whose next-token distribution is a function the test writes.
// It implements the whole `Engine` contract (sequences, copy-on-write KV pages with reference
// counts, batched step with per-sequence counter-based random streams, logprobs, entropy,
// self-certainty) so the controller can be tested without a model, and it records what the
// controller asked of it (step batch sizes, live sequences, pages) for assertions.

import { RuminateError } from '@ruminate/errors';
import type {
  ChatMessage,
  Engine,
  MemoryReport,
  ModelInfo,
  ModelSource,
  SeqId,
  StepRequest,
  StepResult,
} from '@ruminate/runtime';
import { createRng, mixSeed } from '../generator/seeds.ts';

/** The scripted model: a vocabulary and a next-token distribution over it. */
export interface ScriptedModel {
  /** Token id → its bytes (a string is UTF-8 encoded; a Uint8Array may hold part of a character). */
  vocab: (string | Uint8Array)[];
  /** End-of-generation ids. */
  eos: number[];
  /** Probabilities (need not be normalised; zeros allowed) of the next token given the whole sequence and the prompt length. */
  next(tokens: readonly number[], promptLength: number): ArrayLike<number>;
  /** Model name reported by `info()`. */
  name?: string;
}

/** Options of the scripted engine. */
export interface ScriptedEngineOptions {
  /** Tokens per KV page (default 4). */
  pageTokens?: number;
  /** Pages in the pool (default 4096). */
  totalPages?: number;
  /** Bytes one page holds (default 1024), for memory reports. */
  bytesPerPage?: number;
  /** Called before each step with the step's index (0-based); tests abort from here. */
  onStep?: (index: number, batch: readonly StepRequest[]) => void;
}

interface Sequence {
  tokens: number[];
  promptLength: number;
  pages: number[];
}

const encoder = new TextEncoder();

/** A deterministic Engine for tests; see the file comment. */
export class ScriptedEngine implements Engine {
  /** Batch size of every `step` call so far. */
  readonly stepBatchSizes: number[] = [];
  /** Largest number of live sequences seen. */
  maxLiveSequences = 0;
  private readonly model: ScriptedModel;
  private readonly bytes: Uint8Array[];
  private readonly pageTokens: number;
  private readonly totalPages: number;
  private readonly bytesPerPage: number;
  private readonly onStep: ScriptedEngineOptions['onStep'];
  private readonly seqs = new Map<SeqId, Sequence>();
  private readonly pageRefs = new Map<number, number>();
  private readonly freePages: number[] = [];
  private nextSeq = 1;

  constructor(model: ScriptedModel, opts: ScriptedEngineOptions = {}) {
    this.model = model;
    this.bytes = model.vocab.map((v) => (typeof v === 'string' ? encoder.encode(v) : v));
    this.pageTokens = opts.pageTokens ?? 4;
    this.totalPages = opts.totalPages ?? 4096;
    this.bytesPerPage = opts.bytesPerPage ?? 1024;
    this.onStep = opts.onStep;
    for (let p = this.totalPages - 1; p >= 0; p--) this.freePages.push(p);
  }

  /** Live sequences right now. */
  get liveSequences(): number {
    return this.seqs.size;
  }

  /** Pages referenced by at least one sequence right now. */
  get pagesUsed(): number {
    return this.totalPages - this.freePages.length;
  }

  async load(_source: ModelSource): Promise<ModelInfo> {
    return (await this.info()) as ModelInfo;
  }

  async info(): Promise<ModelInfo | undefined> {
    return {
      architecture: 'scripted',
      name: this.model.name ?? 'scripted',
      parameters: 1_000_000,
      vocabSize: this.model.vocab.length,
      contextLength: 4096,
      trainedContextLength: 4096,
      weightType: 'f32',
      eosTokenIds: [...this.model.eos],
      weightBytes: 4_000_000,
      hasChatTemplate: true,
    };
  }

  async unload(): Promise<void> {}

  /** Greedy longest match over the vocabulary's string entries; unknown characters are skipped. */
  async tokenize(text: string): Promise<number[]> {
    const ids: number[] = [];
    let i = 0;
    while (i < text.length) {
      let best = -1;
      let bestLen = 0;
      this.model.vocab.forEach((v, id) => {
        if (
          typeof v === 'string' &&
          v.length > bestLen &&
          text.startsWith(v, i) &&
          !this.model.eos.includes(id)
        ) {
          best = id;
          bestLen = v.length;
        }
      });
      if (best < 0) i += 1;
      else {
        ids.push(best);
        i += bestLen;
      }
    }
    return ids;
  }

  /** Concatenates the tokens' bytes and decodes them, holding back an incomplete trailing character. */
  async detokenize(ids: number[]): Promise<string> {
    const parts = ids
      .filter((id) => !this.model.eos.includes(id))
      .map((id) => this.bytes[id] ?? new Uint8Array());
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return new TextDecoder().decode(all.subarray(0, completeLength(all)));
  }

  /** Each message's content on a line; `enable_thinking: false` appends an empty `<think>` section, as qwen3's template does. */
  async applyChatTemplate(
    messages: ChatMessage[],
    opts: { variables?: Record<string, unknown> } = {},
  ): Promise<number[]> {
    const off = opts.variables?.enable_thinking === false ? '<think>\n\n</think>\n\n' : '';
    return this.tokenize(`${messages.map((m) => `${m.content}\n`).join('')}${off}`);
  }

  async createSequence(prompt: number[]): Promise<SeqId> {
    const id = this.nextSeq++;
    const seq: Sequence = { tokens: [], promptLength: prompt.length, pages: [] };
    this.seqs.set(id, seq);
    for (const t of prompt) this.appendToken(seq, t);
    this.maxLiveSequences = Math.max(this.maxLiveSequences, this.seqs.size);
    return id;
  }

  async fork(seq: SeqId, count: number): Promise<SeqId[]> {
    const src = this.get(seq);
    const out: SeqId[] = [];
    for (let i = 0; i < count; i++) {
      const id = this.nextSeq++;
      for (const p of src.pages) this.pageRefs.set(p, (this.pageRefs.get(p) ?? 0) + 1);
      this.seqs.set(id, { tokens: [...src.tokens], promptLength: src.promptLength, pages: [...src.pages] });
      out.push(id);
    }
    this.maxLiveSequences = Math.max(this.maxLiveSequences, this.seqs.size);
    return out;
  }

  async truncate(seq: SeqId, length: number): Promise<void> {
    const s = this.get(seq);
    s.tokens.length = Math.min(length, s.tokens.length);
    const keep = Math.ceil(s.tokens.length / this.pageTokens);
    for (const p of s.pages.splice(keep)) this.release(p);
  }

  async append(seq: SeqId, tokens: number[]): Promise<void> {
    const s = this.get(seq);
    for (const t of tokens) this.appendToken(s, t);
  }

  async free(seq: SeqId): Promise<void> {
    const s = this.get(seq);
    for (const p of s.pages) this.release(p);
    this.seqs.delete(seq);
  }

  async tokens(seq: SeqId): Promise<number[]> {
    return [...this.get(seq).tokens];
  }

  async memory(): Promise<MemoryReport> {
    return {
      weightBytes: 4_000_000,
      kvBytes: this.totalPages * this.bytesPerPage,
      pageTokens: this.pageTokens,
      bytesPerPage: this.bytesPerPage,
      pagesUsed: this.pagesUsed,
      pagesFree: this.freePages.length,
      sequences: this.seqs.size,
      scratchBytes: 0,
    };
  }

  async step(batch: StepRequest[]): Promise<StepResult[]> {
    this.onStep?.(this.stepBatchSizes.length, batch);
    this.stepBatchSizes.push(batch.length);
    if (new Set(batch.map((r) => r.seq)).size !== batch.length) {
      throw new RuminateError('invalid-argument', 'A sequence appears twice in one step batch.', {
        field: 'batch',
      });
    }
    return batch.map((req) => this.stepOne(req));
  }

  private stepOne(req: StepRequest): StepResult {
    const s = this.get(req.seq);
    const raw = Array.from(this.model.next(s.tokens, s.promptLength), (p) => Math.max(0, p));
    const total = raw.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new RuminateError('internal', 'The scripted model returned no probability mass.');
    const probs = raw.map((p) => p / total);
    const logp = probs.map((p) => Math.log(p));
    const token = req.forceToken ?? this.sample(probs, s, req);
    const result: StepResult = {
      seq: req.seq,
      token,
      logprob: logp[token] ?? Number.NEGATIVE_INFINITY,
      eos: this.model.eos.includes(token),
    };
    const k = req.want?.topLogprobs ?? 0;
    if (k > 0) {
      // Impossible tokens report log(1e-30), as a float model's tiny probabilities would.
      result.topLogprobs = logp
        .map((lp, id) => ({ token: id, logprob: Math.max(lp, Math.log(1e-30)) }))
        .sort((a, b) => b.logprob - a.logprob || a.token - b.token)
        .slice(0, k);
    }
    if (req.want?.entropy) result.entropy = -probs.reduce((a, p) => (p > 0 ? a + p * Math.log(p) : a), 0);
    if (req.want?.selfCertainty) {
      const V = probs.length;
      result.selfCertainty = probs.reduce((a, p) => a + Math.log(V * Math.max(p, 1e-12)), 0) / V;
    }
    this.appendToken(s, token);
    return result;
  }

  /** Applies penalties, temperature, top-k, top-p and min-p, then draws with the (seed, position) stream. */
  private sample(probs: number[], s: Sequence, req: StepRequest): number {
    const sp = req.sampling;
    const generated = s.tokens.slice(s.promptLength);
    const counts = new Map<number, number>();
    for (const t of generated) counts.set(t, (counts.get(t) ?? 0) + 1);
    let logits = probs.map((p) => (p > 0 ? Math.log(p) : Number.NEGATIVE_INFINITY));
    logits = logits.map((l, id) => {
      const c = counts.get(id) ?? 0;
      if (c === 0 || !Number.isFinite(l)) return l;
      const rp = sp.repetitionPenalty ?? 1;
      let v = l > 0 ? l / rp : l * rp;
      v -= (sp.frequencyPenalty ?? 0) * c + (sp.presencePenalty ?? 0);
      return v;
    });
    for (const b of sp.bannedTokens ?? []) logits[b] = Number.NEGATIVE_INFINITY;
    if (sp.temperature === 0) {
      let best = 0;
      for (let i = 1; i < logits.length; i++)
        if ((logits[i] ?? -Infinity) > (logits[best] ?? -Infinity)) best = i;
      return best;
    }
    const max = Math.max(...logits);
    let w = logits.map((l) => Math.exp((l - max) / sp.temperature));
    const order = w.map((_, i) => i).sort((a, b) => (w[b] ?? 0) - (w[a] ?? 0) || a - b);
    const keep = new Set<number>();
    const z = w.reduce((a, b) => a + b, 0);
    let mass = 0;
    const topK = sp.topK && sp.topK > 0 ? sp.topK : order.length;
    const top = w[order[0] ?? 0] ?? 0;
    for (const id of order.slice(0, topK)) {
      const p = (w[id] ?? 0) / z;
      if (p <= 0 || (sp.minP !== undefined && (w[id] ?? 0) < sp.minP * top)) break;
      keep.add(id);
      mass += p;
      if (sp.topP !== undefined && mass >= sp.topP) break;
    }
    w = w.map((x, i) => (keep.has(i) ? x : 0));
    const sum = w.reduce((a, b) => a + b, 0);
    const u = createRng(mixSeed(sp.seed ?? 0, s.tokens.length))() * sum;
    let acc = 0;
    for (const id of order) {
      acc += w[id] ?? 0;
      if (u < acc) return id;
    }
    return order[0] ?? 0;
  }

  private get(seq: SeqId): Sequence {
    const s = this.seqs.get(seq);
    if (!s) throw new RuminateError('unknown-sequence', `Sequence ${seq} does not exist (freed already?).`);
    return s;
  }

  /** Appends one token, taking a new page when the last is full and copying it when it is shared. */
  private appendToken(s: Sequence, token: number): void {
    const offset = s.tokens.length % this.pageTokens;
    if (offset === 0) s.pages.push(this.allocate());
    else {
      const last = s.pages[s.pages.length - 1] as number;
      if ((this.pageRefs.get(last) ?? 0) > 1) {
        this.release(last);
        s.pages[s.pages.length - 1] = this.allocate();
      }
    }
    s.tokens.push(token);
  }

  private allocate(): number {
    const p = this.freePages.pop();
    if (p === undefined)
      throw new RuminateError(
        'context-overflow',
        'The scripted KV pool is exhausted; free sequences or give it more pages.',
      );
    this.pageRefs.set(p, 1);
    return p;
  }

  private release(p: number): void {
    const r = (this.pageRefs.get(p) ?? 0) - 1;
    if (r > 0) this.pageRefs.set(p, r);
    else {
      this.pageRefs.delete(p);
      this.freePages.push(p);
    }
  }
}

/** Length of the longest prefix of `bytes` that ends on a UTF-8 character boundary. */
function completeLength(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let back = 1; back <= Math.min(4, n); back++) {
    const b = bytes[n - back] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}
