// fromWebLLM over a scripted engine that implements WebLLM's own MLCEngineInterface (its Chat,
// Completions and Embeddings objects are WebLLM's classes, from the @mlc-ai/web-llm devDependency):
// self-consistency, best-of-N, streaming and beam search run with samples drawn through WebLLM's
// n, seed and logprobs; chat prompts cannot be continued, plain prompts re-send the prefix.

import * as webllm from '@mlc-ai/web-llm';
import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import { fromWebLLM } from '../src/index.ts';

const ANSWERS = [
  { text: '42', p: 0.6 },
  { text: '41', p: 0.25 },
  { text: '43', p: 0.15 },
];

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One scripted choice: its tokens with log-probabilities. */
interface Drawn {
  tokens: webllm.ChatCompletionTokenLogprob[];
  answer: string;
}

/** A WebLLM engine whose replies are drawn from ANSWERS by the request's seed; records every call. */
class ScriptedMLCEngine implements webllm.MLCEngineInterface {
  chat: webllm.Chat = new webllm.Chat(this);
  completions: webllm.Completions = new webllm.Completions(this);
  embeddings: webllm.Embeddings = new webllm.Embeddings(this);
  readonly calls: (webllm.ChatCompletionRequest | webllm.CompletionCreateParams)[] = [];
  readonly drawn: Drawn[] = [];
  interrupts = 0;

  private draw(seed: number, i: number, prompt: string): Drawn {
    const r = rng(seed * 7919 + i)();
    let acc = 0;
    let pick = ANSWERS[0]!;
    for (const a of ANSWERS) {
      acc += a.p;
      pick = a;
      if (acc > r) break;
    }
    const entry = (token: string, logprob: number): webllm.ChatCompletionTokenLogprob => ({
      token,
      logprob,
      bytes: null,
      top_logprobs: [{ token, logprob, bytes: null }],
    });
    // A plain prompt that already holds the first step gets only the rest (a re-sent prefix).
    const first = prompt.endsWith('Think.\n\n')
      ? []
      : [entry('Think', -0.2), entry('.', -0.1), entry('\n\n', -0.3)];
    const tokens = [
      ...first,
      entry('The', -0.1),
      entry(' answer', -0.1),
      entry(' is', -0.1),
      entry(' ', -0.1),
    ];
    tokens.push(entry(pick.text, Math.log(pick.p)), entry('.', -0.05));
    const d = { tokens, answer: pick.text };
    this.drawn.push(d);
    return d;
  }

  private usage(n: number, tokens: number): webllm.CompletionUsage {
    const extra = {
      e2e_latency_s: 0.01,
      prefill_tokens_per_s: 1000,
      decode_tokens_per_s: 100,
      time_to_first_token_s: 0.01,
      time_per_output_token_s: 0.01,
    };
    return { prompt_tokens: 10 * n, completion_tokens: tokens, total_tokens: 10 * n + tokens, extra };
  }

  chatCompletion(request: webllm.ChatCompletionRequestNonStreaming): Promise<webllm.ChatCompletion>;
  chatCompletion(
    request: webllm.ChatCompletionRequestStreaming,
  ): Promise<AsyncIterable<webllm.ChatCompletionChunk>>;
  chatCompletion(
    request: webllm.ChatCompletionRequestBase,
  ): Promise<AsyncIterable<webllm.ChatCompletionChunk> | webllm.ChatCompletion>;
  chatCompletion(
    request: webllm.ChatCompletionRequest,
  ): Promise<AsyncIterable<webllm.ChatCompletionChunk> | webllm.ChatCompletion>;
  async chatCompletion(
    request: webllm.ChatCompletionRequestBase,
  ): Promise<AsyncIterable<webllm.ChatCompletionChunk> | webllm.ChatCompletion> {
    this.calls.push(request as webllm.ChatCompletionRequest);
    const n = request.n ?? 1;
    const draws = Array.from({ length: n }, (_, i) => this.draw(request.seed ?? 0, i, ''));
    if (request.stream) {
      if (n > 1) throw new Error('When streaming, `n` cannot be > 1.'); // WebLLM's rule
      const [d] = draws;
      const chunk = (choices: webllm.ChatCompletionChunk.Choice[], usage?: webllm.CompletionUsage) => ({
        id: 'x',
        object: 'chat.completion.chunk' as const,
        created: 0,
        model: 'scripted',
        choices,
        ...(usage ? { usage } : {}),
      });
      const include = request.stream_options?.include_usage;
      return (async function* () {
        for (const t of d?.tokens ?? []) {
          yield chunk([
            { index: 0, delta: { content: t.token }, finish_reason: null, logprobs: { content: [t] } },
          ]);
        }
        yield chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]);
        if (include)
          yield chunk([], {
            prompt_tokens: 10,
            completion_tokens: d?.tokens.length ?? 0,
            total_tokens: 0,
            extra: {} as webllm.CompletionUsage['extra'],
          });
      })();
    }
    return {
      id: 'x',
      object: 'chat.completion',
      created: 0,
      model: 'scripted',
      choices: draws.map((d, index) => ({
        index,
        finish_reason: 'stop',
        logprobs: request.logprobs ? { content: d.tokens } : null,
        message: { role: 'assistant', content: d.tokens.map((t) => t.token).join('') },
      })),
      usage: this.usage(
        n,
        draws.reduce((a, d) => a + d.tokens.length, 0),
      ),
    };
  }

  completion(request: webllm.CompletionCreateParamsNonStreaming): Promise<webllm.Completion>;
  completion(request: webllm.CompletionCreateParamsStreaming): Promise<AsyncIterable<webllm.Completion>>;
  completion(
    request: webllm.CompletionCreateParamsBase,
  ): Promise<AsyncIterable<webllm.Completion> | webllm.Completion>;
  completion(
    request: webllm.CompletionCreateParams,
  ): Promise<AsyncIterable<webllm.Completion> | webllm.Completion>;
  async completion(
    request: webllm.CompletionCreateParamsBase,
  ): Promise<AsyncIterable<webllm.Completion> | webllm.Completion> {
    this.calls.push(request as webllm.CompletionCreateParams);
    const n = request.n ?? 1;
    const draws = Array.from({ length: n }, (_, i) => this.draw(request.seed ?? 0, i, request.prompt));
    const reply = (d: Drawn[]): webllm.Completion => ({
      id: 'x',
      object: 'text_completion',
      created: 0,
      model: 'scripted',
      choices: d.map((x, index) => ({
        index,
        finish_reason: 'stop',
        logprobs: request.logprobs ? { content: x.tokens } : null,
        text: x.tokens.map((t) => t.token).join(''),
      })),
      usage: this.usage(
        n,
        d.reduce((a, x) => a + x.tokens.length, 0),
      ),
    });
    if (request.stream) {
      return (async function* () {
        yield reply(draws);
      })();
    }
    return reply(draws);
  }

  async embedding(): Promise<webllm.CreateEmbeddingResponse> {
    throw new Error('not scripted');
  }
  async listResumableSessions(): Promise<webllm.ResumeProbeResult[]> {
    return [];
  }
  async resumeChatCompletion(): Promise<webllm.ResumeResult> {
    throw new Error('not scripted');
  }
  async deleteResumableSession(): Promise<void> {}
  setInitProgressCallback(): void {}
  getInitProgressCallback(): webllm.InitProgressCallback | undefined {
    return undefined;
  }
  setAppConfig(): void {}
  async reload(): Promise<void> {}
  async runtimeStatsText(): Promise<string> {
    return '';
  }
  interruptGenerate(): void {
    this.interrupts++;
  }
  async unload(): Promise<void> {}
  async resetChat(): Promise<void> {}
  async getMessage(): Promise<string> {
    return '';
  }
  async getMaxStorageBufferBindingSize(): Promise<number> {
    return 0;
  }
  async getGPUVendor(): Promise<string> {
    return '';
  }
  async forwardTokensAndSample(): Promise<number> {
    return 0;
  }
  setLogLevel(): void {}
}

const question = [{ role: 'user' as const, content: 'What is 6*7?' }];

describe('fromWebLLM: Ruminate strategies over a WebLLM engine', () => {
  it('self-consistency draws its samples through n, seed and logprobs, and votes', async () => {
    const engine: webllm.MLCEngineInterface & ScriptedMLCEngine = new ScriptedMLCEngine();
    const client = await fromWebLLM(engine);
    const r = await client.chat.completions.create({
      messages: question,
      strategy: 'sc@8',
      seed: 5,
      max_tokens: 32,
    });
    const calls = engine.calls as webllm.ChatCompletionRequestBase[];
    expect(calls.reduce((a, c) => a + (c.n ?? 1), 0)).toBe(8);
    for (const c of calls) {
      expect(c.logprobs).toBe(true);
      expect(Number.isInteger(c.seed)).toBe(true);
      expect(c.stream && (c.n ?? 1) > 1).toBeFalsy(); // WebLLM streams one choice at a time
    }
    const votes = new Map<string, number>();
    for (const d of engine.drawn) votes.set(d.answer, (votes.get(d.answer) ?? 0) + 1);
    const top = Math.max(...votes.values());
    expect(votes.get(r.ruminate.answer ?? '')).toBe(top);
    expect(r.choices[0]?.message.content).toContain(`The answer is ${r.ruminate.answer}.`);
    expect(r.ruminate.trace).toHaveLength(8);
    // The same seed draws the same samples.
    const again = await (await fromWebLLM(new ScriptedMLCEngine())).chat.completions.create({
      messages: question,
      strategy: 'sc@8',
      seed: 5,
      max_tokens: 32,
    });
    expect(again.ruminate.trace.map((c) => c.text)).toEqual(r.ruminate.trace.map((c) => c.text));
  });

  it("best-of-N's default verifier scores each sample by WebLLM's log-probabilities", async () => {
    const engine = new ScriptedMLCEngine();
    const client = await fromWebLLM(engine);
    const r = await client.completions.create({
      prompt: 'Q: 6*7\nA:',
      strategy: 'bon@4',
      seed: 9,
      max_tokens: 32,
    });
    const trace = r.ruminate.trace;
    expect(trace).toHaveLength(4);
    const mean = (text: string) => {
      const d = engine.drawn.find((x) => x.tokens.map((t) => t.token).join('') === text);
      return d ? d.tokens.reduce((a, t) => a + t.logprob, 0) / d.tokens.length : Number.NaN;
    };
    for (const c of trace) expect(c.score).toBeCloseTo(mean(c.text), 12);
    const best = Math.max(...trace.map((c) => c.score ?? Number.NEGATIVE_INFINITY));
    expect(trace.find((c) => c.id === r.ruminate.winner)?.score).toBe(best);
  });

  it('streams a sample from a streamed WebLLM call', async () => {
    const engine = new ScriptedMLCEngine();
    const client = await fromWebLLM(engine);
    const stream = await client.chat.completions.create({
      messages: question,
      seed: 2,
      stream: true,
      max_tokens: 32,
    });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect((engine.calls[0] as webllm.ChatCompletionRequestBase).stream).toBe(true);
    expect(text).toBe(engine.drawn[0]?.tokens.map((t) => t.token).join(''));
  });

  it('beam search re-sends the prefix on a plain prompt (and says so); a chat prompt cannot be continued', async () => {
    const engine = new ScriptedMLCEngine();
    const client = await fromWebLLM(engine);
    const r = await client.completions.create({
      prompt: 'Q: 6*7\nA:',
      strategy: { name: 'beam', samples: 4 },
      seed: 4,
      max_tokens: 32,
    });
    const prompts = (engine.calls as webllm.CompletionCreateParamsBase[]).map((c) => c.prompt);
    expect(prompts.some((p) => p === 'Q: 6*7\nA:Think.\n\n')).toBe(true);
    const forked = r.ruminate.trace.flatMap((c) => c.events).filter((e) => e.type === 'forked');
    expect(forked.length).toBeGreaterThan(0);
    expect(forked[0]?.detail).toMatch(/webllm has no KV fork, so its \d+-character prefix is re-sent/);
    const chat = await client.chat.completions
      .create({ messages: question, strategy: { name: 'beam', samples: 4 }, seed: 4, max_tokens: 32 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isRuminateError(chat, 'unsupported-feature')).toBe(true);
  });
});
