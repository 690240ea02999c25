import { getLlama, type Llama, LlamaLogLevel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixtureFile,
  type StandardFixture,
  standardFixture,
} from '../../../tools/fixtures/standard-fixtures.ts';

// The fixture writer's output is a valid model for llama.cpp (node-llama-cpp 3.21.1, CPU):
// every standard fixture loads, and greedy generation from fixed token ids is deterministic
// and stays inside the vocabulary.
let llama: Llama;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
});
afterAll(async () => {
  await llama?.dispose();
});

async function greedy(name: StandardFixture, prompt: number[], n: number): Promise<number[]> {
  const model = await llama.loadModel({ modelPath: await standardFixture(name) });
  try {
    const ctx = await model.createContext({ contextSize: 128 });
    const out: number[] = [];
    for await (const t of ctx.getSequence().evaluate(prompt as Token[], { temperature: 0 })) {
      out.push(t);
      if (out.length >= n) break;
    }
    await ctx.dispose();
    return out;
  } finally {
    await model.dispose();
  }
}

describe('node-llama-cpp loads the GGUF fixtures', () => {
  const prompt = [104, 101, 108, 108, 111, 279, 3];
  for (const name of [
    'llama-f32',
    'llama-q8_0',
    'qwen2-f32',
    'qwen3-f32',
    'qwen2moe-q8_0',
    'mixtral-f32',
  ] as const) {
    it(`${name} generates deterministically`, async () => {
      const a = await greedy(name, prompt, 16);
      // llama.cpp stops early when the model emits its end-of-generation token.
      expect(a.length).toBeGreaterThan(0);
      for (const t of a) expect(t >= 0 && t < 512, `token ${t} outside the 512-token vocabulary`).toBe(true);
      if (name === 'llama-f32' || name === 'llama-q8_0') expect(await greedy(name, prompt, 16)).toEqual(a);
    });
  }
});

describe('peaked logits', () => {
  /** Mean top-1 probability llama.cpp assigns over `n` greedy steps. */
  async function meanTop1(outputScale: number): Promise<number> {
    const recipe = { arch: 'llama', seed: 77, nLayers: 1, nEmbd: 64, nFf: 128, outputScale } as const;
    const model = await llama.loadModel({ modelPath: await fixtureFile(`peak-test-${outputScale}`, recipe) });
    const ctx = await model.createContext({ contextSize: 64 });
    let sum = 0;
    let n = 0;
    for await (const r of ctx.getSequence().evaluateWithMetadata([104, 101, 108] as Token[], {
      temperature: 0,
      probabilities: true,
    })) {
      sum += Math.max(...(r.probabilities?.values() ?? [0]));
      if (++n >= 12) break;
    }
    await ctx.dispose();
    await model.dispose();
    return sum / n;
  }

  it("outputScale sharpens llama.cpp's next-token distribution", async () => {
    const flat = await meanTop1(1);
    const peaked = await meanTop1(16);
    // Unit-scale logits over 512 tokens leave the top token a few percent; ×16 makes it dominant.
    expect(flat).toBeLessThan(0.2);
    expect(peaked).toBeGreaterThan(0.6);
  });
});
