// A model file served over HTTP in one call: the runtime engine (in-process), wrapped in a
// StepCoalescer so concurrent requests share its steps (continuous batching), the controller's
// client over it, and the HTTP server (server.ts) sized to what the engine holds.

import { basename } from 'node:path';
import { createEngine } from '@ruminate/controller';
import { type BackendChoice, RuminateEngine, StepCoalescer } from '@ruminate/runtime';
import { type RuminateServer, type ServerOptions, startServer } from './server.ts';

/** What to serve, and how. */
export interface ServeModelOptions
  extends Pick<
    ServerOptions,
    'host' | 'port' | 'apiKey' | 'maxBodyBytes' | 'maxSamples' | 'corsOrigin' | 'allowCodeVerifiers' | 'log'
  > {
  /** GGUF file path. */
  model: string;
  /** Name requests use (default: the file name without `.gguf`). */
  modelName?: string;
  /** Where the model computes (default auto). */
  backend?: BackendChoice;
  /** The wasm backend's threads (default every core). */
  threads?: number;
  /** Sequences the engine holds at once, over every request (default 64). */
  maxSequences?: number;
  /** Context length (default the model's, capped by the runtime). */
  contextLength?: number;
  /** KV pages to allocate (default the runtime's: a few full-context sequences); size it to the concurrency served. */
  kvPages?: number;
}

/** A served model: the server and the engine under it. */
export interface ServedModel {
  /** The HTTP server. */
  server: RuminateServer;
  /** The runtime engine (unloaded by `close`). */
  engine: RuminateEngine;
  /** The coalescer in front of it (its stats say how wide the merged steps were). */
  coalescer: StepCoalescer;
  /** Finishes the requests in flight, stops the server and unloads the model. */
  close(): Promise<void>;
}

/** Loads `opts.model` and serves it; see the file comment. */
export async function serveModel(opts: ServeModelOptions): Promise<ServedModel> {
  const maxSequences = opts.maxSequences ?? 64;
  const engine = new RuminateEngine({
    maxSequences,
    tuning: 'cache',
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.threads ? { threads: opts.threads } : {}),
  });
  const info = await engine.load(
    { path: opts.model },
    {
      ...(opts.contextLength ? { contextLength: opts.contextLength } : {}),
      ...(opts.kvPages ? { kvPages: opts.kvPages } : {}),
    },
  );
  const coalescer = new StepCoalescer(engine);
  // Latency budgets plan with this engine's decode speed, measured at the first such request.
  const client = await createEngine({ engine: coalescer });
  const memory = await engine.memory();
  const serverOpts: ServerOptions = {
    client,
    modelName: opts.modelName ?? basename(opts.model).replace(/\.gguf$/i, ''),
    vocabSize: info.vocabSize,
    capacity: {
      sequences: maxSequences,
      pages: memory.pagesFree + (memory.pagesCached ?? 0),
      pageTokens: memory.pageTokens,
    },
    health: () => ({ backend: info.backend, steps: coalescer.stats() }),
  };
  for (const k of [
    'host',
    'port',
    'apiKey',
    'maxBodyBytes',
    'maxSamples',
    'corsOrigin',
    'allowCodeVerifiers',
    'log',
  ] as const) {
    if (opts[k] !== undefined) (serverOpts as unknown as Record<string, unknown>)[k] = opts[k];
  }
  const server = await startServer(serverOpts);
  return {
    server,
    engine,
    coalescer,
    async close() {
      await server.close();
      await engine.unload();
    },
  };
}
