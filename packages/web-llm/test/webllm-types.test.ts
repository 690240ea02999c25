// The layer cannot drift from WebLLM's API: `pnpm run typecheck` compiles the assignments below
// against @mlc-ai/web-llm's own declarations (a devDependency, types only), and the test checks
// that every public value WebLLM apps use is exported here.
import type * as webllm from '@mlc-ai/web-llm';
import { describe, expect, it } from 'vitest';
import * as ours from '../src/index.ts';

/** A class's public members (WebLLM's Chat/Completions/Embeddings hold a private field, which makes them nominal). */
type Public<T> = { [K in keyof T]: T[K] };

/** WebLLM's MLCEngineInterface, with its API objects compared by their public members. */
type WebLLMEngine = Omit<webllm.MLCEngineInterface, 'chat' | 'completions' | 'embeddings'> & {
  chat: { completions: Public<webllm.Chat['completions']> };
  completions: Public<webllm.Completions>;
  embeddings: Public<webllm.Embeddings>;
};

/** Compiled, never called: each line fails typecheck if the layer drifts from WebLLM. */
export function typeChecks(
  engine: ours.MLCEngine,
  workerEngine: ours.WebWorkerMLCEngine,
  serviceEngine: ours.ServiceWorkerMLCEngine,
  request: webllm.ChatCompletionRequest,
  nonStreaming: webllm.ChatCompletionRequestNonStreaming,
  streaming: webllm.ChatCompletionRequestStreaming,
  completion: webllm.CompletionCreateParamsNonStreaming,
  realEngine: webllm.MLCEngineInterface,
) {
  const engines: WebLLMEngine[] = [engine, workerEngine, serviceEngine];
  const iface: WebLLMEngine = engine as ours.MLCEngineInterface;
  // WebLLM-typed requests go into our create(), and our replies are WebLLM's types.
  const any: Promise<webllm.ChatCompletion | AsyncIterable<webllm.ChatCompletionChunk>> =
    engine.chat.completions.create(request);
  const reply: Promise<webllm.ChatCompletion> = engine.chat.completions.create(nonStreaming);
  const chunks: Promise<AsyncIterable<webllm.ChatCompletionChunk>> =
    engine.chat.completions.create(streaming);
  const text: Promise<webllm.Completion> = engine.completions.create(completion);
  // Configuration objects written for WebLLM are accepted as they are.
  const config: ours.MLCEngineConfig = {} as webllm.MLCEngineConfig;
  const app: ours.AppConfig = {} as webllm.AppConfig;
  const record: ours.ModelRecord = {} as webllm.ModelRecord;
  const chatOpts: ours.ChatOptions = {} as webllm.ChatOptions;
  const report: webllm.InitProgressReport = {} as ours.InitProgressReport;
  const level: ours.LogLevel = 'INFO' as webllm.LogLevel;
  const message: ours.ChatCompletionMessageParam = {} as webllm.ChatCompletionMessageParam;
  const create: Promise<
    webllm.MLCEngineInterface['chatCompletion'] extends unknown ? ours.MLCEngine : never
  > = ours.CreateMLCEngine('id', config, chatOpts);
  // fromWebLLM takes WebLLM's own engines: the interface, the in-page class and the worker proxy.
  const clients = [
    ours.fromWebLLM(realEngine),
    ours.fromWebLLM({} as webllm.MLCEngine),
    ours.fromWebLLM({} as webllm.WebWorkerMLCEngine),
  ];
  return [engines, iface, any, reply, chunks, text, app, record, report, level, message, create, clients];
}

describe('@ruminate/web-llm exports WebLLM names', () => {
  it('exports every public value a WebLLM app calls', () => {
    const values = [
      'CreateMLCEngine',
      'MLCEngine',
      'CreateWebWorkerMLCEngine',
      'WebWorkerMLCEngine',
      'WebWorkerMLCEngineHandler',
      'CreateServiceWorkerMLCEngine',
      'ServiceWorkerMLCEngine',
      'ServiceWorkerMLCEngineHandler',
      'prebuiltAppConfig',
      'hasModelInCache',
      'deleteModelAllInfoInCache',
      'deleteModelInCache',
      'modelVersion',
      'modelLibURLPrefix',
      'functionCallingModelIds',
      'ModelType',
      'fromWebLLM',
    ];
    const exported = ours as Record<string, unknown>;
    expect(values.filter((name) => exported[name] === undefined)).toEqual([]);
    expect(ours.prebuiltAppConfig.model_list.map((r) => r.model_id)).toContain('Ruminate-Mul-0.8M-q8_0');
  });
});
