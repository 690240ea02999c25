// Strategies end to end on the runtime's real Engine (RuminateEngine: GGUF → WebGPU on
// SwiftShader) with the project's random-weight llama fixture: runs complete, every sequence and
// KV page is released (also on abort), self-certainty is a KL divergence (≥ 0), and the reward
// model's score is the judgement token's log-probability as the float64 reference computes it.
import { readFile } from 'node:fs/promises';
import { isRuminateError } from '@ruminate/errors';
import { type KernelContext, kernelContextFor } from '@ruminate/gpu';
import { testDevice } from '@ruminate/gpu/testing';
import { memorySource, parseGguf, RuminateEngine, readHparams } from '@ruminate/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { standardFixture } from '../../../tools/fixtures/standard-fixtures.ts';
import { logSoftmax, ReferenceModel } from '../../runtime/src/reference/forward.ts';
import { readReferenceWeights } from '../../runtime/src/reference/gguf-weights.ts';
import {
  type RuminateClient as Client,
  createEngine,
  rewardModel,
  runVerifier,
  speculativeGreedy,
} from '../src/index.ts';

let ctx: Promise<KernelContext> | undefined;
const kernelContext = () => {
  ctx ??= testDevice().then(kernelContextFor);
  return ctx;
};

let client: Client | undefined;
let raw: RuminateEngine | undefined;
async function engine(): Promise<{ client: Client; raw: RuminateEngine; path: string }> {
  const path = await standardFixture('llama-f32');
  raw ??= new RuminateEngine({ kernelContext, maxPassTokens: 32 });
  client ??= await createEngine({ engine: raw, model: { path }, load: { contextLength: 256 } });
  return { client, raw, path };
}
afterAll(async () => {
  await raw?.unload();
});

describe('strategies on the runtime engine (llama-f32 fixture, SwiftShader)', () => {
  it('self-consistency and beam search run and release every sequence and page', async () => {
    const { client, raw } = await engine();
    const sc = await client.completions.create({
      prompt: 'hello world',
      strategy: 'sc@4',
      max_tokens: 6,
      seed: 1,
    });
    expect(sc.ruminate.trace).toHaveLength(4);
    expect(sc.usage.completion_tokens).toBeLessThanOrEqual(4 * 6);
    expect(sc.ruminate.usage.maxBatch).toBe(4);
    const beam = await client.completions.create({
      prompt: 'hello world',
      strategy: { name: 'beam', samples: 4, width: 2, iterations: 2 },
      step_scorer: 'self-certainty',
      max_tokens: 8,
      seed: 2,
    });
    expect(beam.ruminate.winner).not.toBeNull();
    // Self-certainty is KL(uniform ‖ p): non-negative (f32 rounding aside).
    for (const c of beam.ruminate.trace) for (const s of c.stepScores) expect(s).toBeGreaterThan(-1e-4);
    const m = await raw.memory();
    expect(m.sequences).toBe(0);
    expect(m.pagesUsed).toBe(0);
  });

  it('aborting a particle filter mid-search releases every forked sequence', async () => {
    const { client, raw } = await engine();
    const ctrl = new AbortController();
    const step = raw.step.bind(raw);
    let steps = 0;
    raw.step = (batch) => {
      if (++steps === 3) ctrl.abort();
      return step(batch);
    };
    try {
      const run = client.completions.create(
        {
          prompt: 'hello',
          strategy: { name: 'pf', samples: 4 },
          step_scorer: 'mean-logprob',
          max_tokens: 12,
          seed: 3,
        },
        { signal: ctrl.signal },
      );
      await expect(run).rejects.toSatisfy((e) => isRuminateError(e, 'aborted'));
    } finally {
      raw.step = step;
    }
    const m = await raw.memory();
    expect(m.sequences).toBe(0);
    expect(m.pagesUsed).toBe(0);
  });

  it('the reward-model score equals the float64 reference log-probability of the judgement token', async () => {
    const { raw, path } = await engine();
    // A judgement that is exactly one token in the fixture's vocabulary.
    let judgement = '';
    let yes = -1;
    for (let id = 300; id < 400 && yes < 0; id++) {
      const text = await raw.detokenize([id]);
      const back = await raw.tokenize(text, { addBos: false });
      if (text.length > 0 && back.length === 1 && back[0] === id) {
        judgement = text;
        yes = id;
      }
    }
    expect(yes).toBeGreaterThanOrEqual(0);
    const template = (i: { prompt: string; text: string }) => `Q: ${i.prompt} A: ${i.text} ok?`;
    const inputs = ['two', 'three apples', 'hello world'].map((text) => ({
      prompt: 'count',
      text,
      steps: [],
      tokens: [],
      logprobs: [],
      selfCertainty: [],
      finished: true,
    }));
    const verdicts = await runVerifier(rewardModel({ engine: raw, template, judgement }), inputs);
    const src = memorySource(new Uint8Array(await readFile(path)), path);
    const header = await parseGguf(src);
    const { lookup } = await readReferenceWeights(header, src);
    const hp = readHparams(header.metadata, (n) => header.tensors.find((t) => t.name === n)?.dims);
    for (const [i, input] of inputs.entries()) {
      const tokens = await raw.tokenize(template(input), { addBos: true });
      const expected = logSoftmax(new ReferenceModel(hp, lookup).eval(tokens).at(-1) as Float64Array)[
        yes
      ] as number;
      // f32 GPU arithmetic against float64 (the runtime's parity tolerance): 2e-3.
      expect(Math.abs((verdicts[i]?.score as number) - expected), verdicts[i]?.reason).toBeLessThan(2e-3);
    }
    expect((await raw.memory()).sequences).toBe(0);
  });

  it('speculative greedy decoding gives the engine’s own greedy tokens in fewer target steps', async () => {
    const { raw } = await engine();
    const prompt = await raw.tokenize('hello world', { addBos: true });
    const seq = await raw.createSequence(prompt);
    const plain: number[] = [];
    for (let i = 0; i < 12; i++) {
      const [r] = await raw.step([{ seq, sampling: { temperature: 0 } }]);
      if (!r || r.eos) break;
      plain.push(r.token);
    }
    await raw.free(seq);
    // The model as its own draft: every proposal is accepted (a real draft is a smaller model).
    const r = await speculativeGreedy(raw, raw, prompt, { gamma: 3, maxTokens: 12 });
    expect(r.tokens).toEqual(plain);
    expect(r.targetSteps).toBeLessThan(plain.length);
    expect((await raw.memory()).sequences).toBe(0);
  });
});
