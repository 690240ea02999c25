// WebLLM's service-worker pair over Ruminate: the same protocol as the web-worker pair, carried by
// the service worker's `message` events (answers go back to the client that asked) and kept alive
// by the page's heartbeat.

import { RuminateError } from '@ruminate/errors';
import type { ChatOptions, MLCEngineConfig } from './config-types.ts';
import { type ChatWorker, WebWorkerMLCEngine, WebWorkerMLCEngineHandler } from './web-worker.ts';
import { isWorkerRequest, newUuid, type WorkerRequest, type WorkerResponse } from './worker-protocol.ts';

/** A message event of a service worker (the fields used here). */
interface ClientMessageEvent {
  data: unknown;
  source: { postMessage(message: unknown): void } | null;
}

/** Serves pages from a service worker: create it in the worker's `activate` handler. */
export class ServiceWorkerMLCEngineHandler extends WebWorkerMLCEngineHandler {
  constructor() {
    super();
    const scope = globalThis as unknown as {
      addEventListener?: (t: string, h: (e: ClientMessageEvent) => void) => void;
    };
    if (typeof scope.addEventListener !== 'function') {
      throw new RuminateError(
        'invalid-argument',
        'ServiceWorkerMLCEngineHandler must be created inside a service worker.',
      );
    }
    scope.addEventListener('message', (event) => this.onmessage(event as unknown as MessageEvent));
  }

  /** Answers the client that sent the request. */
  override postMessage(msg: WorkerResponse, replyTo?: unknown): void {
    (replyTo as ClientMessageEvent['source'])?.postMessage(msg);
  }

  /** Handles one client message. */
  override onmessage(event: MessageEvent): void {
    const e = event as unknown as ClientMessageEvent;
    if (isWorkerRequest(e.data)) this.handle(e.data, e.source);
  }
}

/** The page's end of the service worker's port (navigator.serviceWorker). */
function serviceWorkerPort(): ChatWorker {
  const container = (globalThis.navigator as Navigator | undefined)?.serviceWorker;
  if (!container?.controller) {
    throw new RuminateError(
      'worker-failed',
      'No service worker controls this page: register one that creates a ServiceWorkerMLCEngineHandler, then reload the page.',
    );
  }
  const port: ChatWorker = {
    onmessage: null,
    postMessage: (message) => container.controller?.postMessage(message),
  };
  container.addEventListener('message', (event) =>
    (port.onmessage as ((e: MessageEvent) => void) | null)?.(event),
  );
  return port;
}

/** The page side of a service-worker engine; a heartbeat every `keepAliveMs` keeps the worker alive. */
export class ServiceWorkerMLCEngine extends WebWorkerMLCEngine {
  /** Heartbeats not answered yet. */
  missedHeartbeat = 0;

  constructor(engineConfig?: MLCEngineConfig, keepAliveMs = 10_000) {
    super(serviceWorkerPort(), engineConfig);
    setInterval(() => {
      this.missedHeartbeat++;
      const uuid = newUuid();
      this.worker.postMessage({ kind: 'keepAlive', uuid } satisfies WorkerRequest);
    }, keepAliveMs);
  }

  /** Handles a message from the service worker. */
  override onmessage(event: MessageEvent | WorkerResponse): void {
    const msg = ('kind' in event ? event : (event as MessageEvent).data) as WorkerResponse;
    if (msg?.kind === 'heartbeat') {
      this.missedHeartbeat = 0;
      return;
    }
    super.onmessage(event);
  }
}

/** Creates a ServiceWorkerMLCEngine (the page must be controlled by the service worker) and loads `modelId`. */
export async function CreateServiceWorkerMLCEngine(
  modelId: string | string[],
  engineConfig?: MLCEngineConfig,
  chatOpts?: ChatOptions | ChatOptions[],
  keepAliveMs = 10_000,
): Promise<ServiceWorkerMLCEngine> {
  const engine = new ServiceWorkerMLCEngine(engineConfig, keepAliveMs);
  await engine.reload(modelId, chatOpts);
  return engine;
}
