// The controller over the runtime's own SequenceEngine (paged KV cache with copy-on-write forks,
// batched steps, per-sequence sampling streams) on the float64 CPU model with random weights:
// forks and frees must balance in the real page pool, also when a search is aborted, and the
// reward-model scorer must report exactly the runtime's log-probability of the judgement token.
// (Internal runtime modules are imported by path until the runtime exports a Node engine.)

import { isRuminateError } from '@ruminate/errors';
import { freshSeed, seededRandom } from '@ruminate/gpu/testing';
import type { ChatMessage, Engine, ModelInfo, StepRequest } from '@ruminate/runtime';
import { describe, expect, it } from 'vitest';
import { SequenceEngine } from '../../runtime/src/engine/sequence-engine.ts';
import { PagedKvCache } from '../../runtime/src/kv/paged-kv-cache.ts';
import { CpuPagedBackend } from '../../runtime/src/reference/cpu-backend.ts';
import { logSoftmax, ReferenceModel, type ReferenceTensor } from '../../runtime/src/reference/forward.ts';
import { randomWeights, smallHparams } from '../../runtime/src/reference/random-weights.ts';
import { EngineGenerator, rewardModel, runStrategy, runVerifier } from '../src/index.ts';

const seed = freshSeed();
const hp = smallHparams({ nLayers: 1, contextLength: 128 });
const weights = randomWeights(hp, seededRandom(seed));
const lookup = (n: string): ReferenceTensor | undefined => weights.get(n);
// Token 0 is EOS, token 1 is the step delimiter, the rest print as letters.
const piece = (id: number) => (id === 0 ? '' : id === 1 ? '\n\n' : String.fromCharCode(97 + (id % 26)));

/** An `Engine` over the runtime's SequenceEngine, with a toy character tokenizer. */
class CpuEngine implements Engine {
  readonly seqs: SequenceEngine;
  constructor(numPages = 64) {
    const kv = new PagedKvCache({
      numPages,
      pageTokens: 16,
      numSlots: 40,
      contextLength: hp.contextLength,
      retainFreed: false,
    });
    const backend = new CpuPagedBackend(hp, lookup, {
      numPages,
      pageTokens: 16,
      numSlots: kv.numSlots,
      maxPagesPerSeq: kv.maxPagesPerSeq,
    });
    this.seqs = new SequenceEngine({ kv, backend, vocabSize: hp.nVocab, eosTokenIds: [0] });
  }
  async load(): Promise<ModelInfo> {
    return (await this.info()) as ModelInfo;
  }
  async info(): Promise<ModelInfo | undefined> {
    return {
      architecture: 'llama',
      name: 'random-cpu',
      parameters: 1e5,
      vocabSize: hp.nVocab,
      contextLength: hp.contextLength,
      trainedContextLength: hp.contextLength,
      weightType: 'f32',
      eosTokenIds: [0],
      weightBytes: 4e5,
      hasChatTemplate: false,
    };
  }
  async tokenize(text: string): Promise<number[]> {
    return [...text].map((c) => 2 + ((c.charCodeAt(0) - 97 + 26 * 4) % 26));
  }
  async detokenize(ids: number[]): Promise<string> {
    return ids.map(piece).join('');
  }
  async applyChatTemplate(messages: ChatMessage[]): Promise<number[]> {
    return this.tokenize(messages.map((m) => m.content).join(''));
  }
  async createSequence(prompt: number[]) {
    return this.seqs.createSequence(prompt);
  }
  async fork(seq: number, count: number) {
    return this.seqs.fork(seq, count);
  }
  async truncate(seq: number, length: number) {
    this.seqs.truncate(seq, length);
  }
  async append(seq: number, tokens: number[]) {
    this.seqs.append(seq, tokens);
  }
  async free(seq: number) {
    this.seqs.free(seq);
  }
  async tokens(seq: number) {
    return this.seqs.tokens(seq);
  }
  async step(batch: StepRequest[]) {
    return this.seqs.step(batch);
  }
  async memory() {
    return this.seqs.memory();
  }
  async unload() {}
}

describe('controller over the runtime’s paged KV engine (float64 CPU model)', () => {
  it(`runs self-consistency and particle filtering, and every page returns to the pool (seed ${seed})`, async () => {
    const engine = new CpuEngine();
    const free0 = (await engine.memory()).pagesFree;
    const sc = await runStrategy(engine, { prompt: 'abcabcabc', strategy: 'sc@6', maxTokens: 12, seed: 3 });
    expect(sc.trace).toHaveLength(6);
    expect(sc.usage.maxBatch).toBe(6);
    const pf = await runStrategy(engine, {
      prompt: 'abcabcabc',
      strategy: { name: 'pf', samples: 6, iterations: 3 },
      stepScorer: 'mean-logprob',
      maxTokens: 12,
      seed: 4,
    });
    expect(pf.winner).not.toBeNull();
    const m = await engine.memory();
    expect(m.sequences).toBe(0);
    expect(m.pagesUsed).toBe(0);
    expect(m.pagesFree).toBe(free0);
  });

  it(`aborting a beam search mid-way frees every forked sequence and page (seed ${seed})`, async () => {
    const engine = new CpuEngine();
    const free0 = (await engine.memory()).pagesFree;
    const ctrl = new AbortController();
    const step = engine.step.bind(engine);
    let peak = 0;
    engine.step = async (batch) => {
      peak = Math.max(peak, (await engine.memory()).sequences);
      // Abort as soon as all 8 beams are live: a fixed step count could come after the search
      // had already finished on some random models (seed 1937406982 ended before step 9).
      if (peak >= 8) ctrl.abort();
      return step(batch);
    };
    const run = runStrategy(
      engine,
      {
        prompt: 'abcabc',
        strategy: { name: 'beam', samples: 8, width: 2 },
        stepScorer: 'mean-logprob',
        maxTokens: 40,
        seed: 5,
      },
      { signal: ctrl.signal },
    );
    await expect(run).rejects.toSatisfy((e) => isRuminateError(e, 'aborted'));
    expect(peak).toBeGreaterThanOrEqual(8);
    const m = await engine.memory();
    expect(m.sequences).toBe(0);
    expect(m.pagesUsed).toBe(0);
    expect(m.pagesFree).toBe(free0);
  });

  it(`the reward-model score is the runtime's log-probability of the judgement token (seed ${seed})`, async () => {
    const judge = new CpuEngine();
    const yes = 2 + (('y'.charCodeAt(0) - 97 + 104) % 26);
    const template = (i: { text: string }) => `q${i.text}a`;
    const v = rewardModel({ engine: judge, template, judgement: 'y' });
    const texts = ['abc', 'zz', 'hello'];
    const inputs = texts.map((text) => ({
      prompt: '',
      text,
      steps: [],
      tokens: [],
      logprobs: [],
      selfCertainty: [],
      finished: true,
    }));
    const verdicts = await runVerifier(v, inputs);
    for (const [i, text] of texts.entries()) {
      const prompt = await judge.tokenize(template({ text }));
      const last = logSoftmax(new ReferenceModel(hp, lookup).eval(prompt).at(-1) as Float64Array);
      // Same float64 arithmetic on both paths: agreement to rounding.
      expect(verdicts[i]?.score).toBeCloseTo(last[yes] as number, 9);
    }
    expect((await judge.memory()).sequences).toBe(0);
  });

  it(`self-certainty read from the runtime is KL(uniform ‖ p) ≥ 0 of the reference distribution (seed ${seed})`, async () => {
    const engine = new CpuEngine();
    const gen = new EngineGenerator(engine, {
      sampling: { temperature: 0, bannedTokens: [0] }, // no EOS: a token must come
      maxTokens: 4,
      seed: 1,
      want: { selfCertainty: true, topLogprobs: 3 },
    });
    const prompt = await engine.tokenize('abcab');
    const root = await gen.create(prompt);
    const [b] = await gen.fork(root, 1);
    await gen.extend([b as NonNullable<typeof b>], { tokens: 1 });
    await gen.freeAll();
    const logp = logSoftmax(new ReferenceModel(hp, lookup).eval(prompt).at(-1) as Float64Array);
    const V = logp.length;
    const kl = -Math.log(V) - logp.reduce((a, x) => a + x, 0) / V;
    expect(kl).toBeGreaterThan(0);
    expect(b?.selfCertainty[0]).toBeCloseTo(kl, 9);
    // DeepConf token confidence: −mean of the top-3 log-probabilities.
    const top3 = [...logp].sort((x, y) => y - x).slice(0, 3);
    expect(b?.confidences[0]).toBeCloseTo(-(top3[0]! + top3[1]! + top3[2]!) / 3, 9);
    expect((await engine.memory()).sequences).toBe(0);
  });
});
